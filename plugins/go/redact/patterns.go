// The text patterns redact masks, and the Luhn check that tells a card
// number from any other long number (as plugins/redact/src/patterns.rs;
// Go's regexp has the same RE2-style syntax as Rust's regex-lite).
package main

import (
	"fmt"
	"regexp"
)

type pattern struct {
	regex *regexp.Regexp
	luhn  bool
}

type patterns struct{ list []pattern }

var builtin = map[string]pattern{
	"email":  {regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`), false},
	"bearer": {regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+`), false},
	"card":   {regexp.MustCompile(`\b\d(?:[ -]?\d){12,}\b`), true},
}

func newPatterns(names, custom []string) (*patterns, error) {
	p := &patterns{}
	for _, name := range names {
		b, ok := builtin[name]
		if !ok {
			return nil, fmt.Errorf("invalid configuration at `patterns`: unknown pattern `%s` "+
				"(known: email, bearer, card; use `custom` for your own regexes)", name)
		}
		p.list = append(p.list, b)
	}
	for _, source := range custom {
		re, err := regexp.Compile(source)
		if err != nil {
			return nil, fmt.Errorf("invalid configuration at `custom`: bad regex `%s`: %v", source, err)
		}
		p.list = append(p.list, pattern{re, false})
	}
	return p, nil
}

// mask is text with every match replaced, and whether anything was.
func (p *patterns) mask(text, replacement string) (string, bool) {
	current, any := text, false
	for _, pat := range p.list {
		changed := false
		out := pat.regex.ReplaceAllStringFunc(current, func(found string) string {
			masked, ok := replacement, true
			if pat.luhn {
				masked, ok = maskCards(found, replacement)
			}
			if !ok {
				return found
			}
			changed = true
			return masked
		})
		if changed {
			current, any = out, true
		}
	}
	return current, any
}

var digitGroup = regexp.MustCompile(`[0-9]+`)

func maskCards(run, replacement string) (string, bool) {
	groups := digitGroup.FindAllStringIndex(run, -1)
	out, copied := "", 0
	for i := 0; i < len(groups); {
		digits, card := 0, -1
		for j := i; j < len(groups); j++ {
			digits += groups[j][1] - groups[j][0]
			if digits > 19 {
				break
			}
			if digits >= 13 && luhnValid(run[groups[i][0]:groups[j][1]]) {
				card = j
			}
		}
		if card < 0 {
			i++
			continue
		}
		out += run[copied:groups[i][0]] + replacement
		copied = groups[card][1]
		i = card + 1
	}
	if copied == 0 {
		return "", false
	}
	return out + run[copied:], true
}

func luhnValid(text string) bool {
	var digits []int
	for _, c := range text {
		if c >= '0' && c <= '9' {
			digits = append(digits, int(c-'0'))
		}
	}
	if len(digits) < 13 || len(digits) > 19 {
		return false
	}
	sum := 0
	for i := range digits {
		d := digits[len(digits)-1-i]
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
