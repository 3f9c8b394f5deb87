package main

// A reactor: weir calls the exports; main never runs.
func main() {}
