//! `wrong-world`: a valid component of a world that is not weir's, so the
//! host's check can be seen refusing it by name.

wit_bindgen::generate!({ path: "wit", world: "other" });

struct Component;

impl Guest for Component {
    fn run() -> u32 {
        42
    }
}

export!(Component);
