//! parse ∘ print ∘ parse for constraints (Marathon dialect): a constraint parsed from text or
//! from the array form (the input's lines) prints a canonical text that parses back to an
//! equal constraint, and printing that again gives the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offerfit::constraint::{parse_constraint, Constraint, ConstraintInput, ParseOptions, Parsed};

fn roundtrip(c: &Constraint) {
    let text = c.to_string();
    match parse_constraint(ConstraintInput::Text(&text), &ParseOptions::default()) {
        Ok(Parsed::Constraint(back)) => {
            assert_eq!(&back, c, "`{text}` parses to a different constraint");
            assert_eq!(back.to_string(), text, "printing is not stable");
        }
        other => panic!("canonical text `{text}` of {c:?} does not parse back: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = ParseOptions::default();
    if let Ok(Parsed::Constraint(c)) = parse_constraint(ConstraintInput::Text(text), &opts) {
        roundtrip(&c);
    }
    let items: Vec<String> = text.split('\n').map(str::to_owned).collect();
    if let Ok(Parsed::Constraint(c)) = parse_constraint(ConstraintInput::Array(&items), &opts) {
        roundtrip(&c);
    }
});
