//! Arbitrary text into the constraint parser, in both dialects and in the text and array
//! forms (array items are the input's lines): never a panic; an error has a code, a one-line
//! message and a span inside the input that renders with a caret; a parsed constraint prints.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offerfit::constraint::{parse_constraint, ConstraintInput, Dialect, ParseOptions, Parsed};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = offerfit::Limits::default();
    let items: Vec<String> = text.split('\n').map(str::to_owned).collect();
    for dialect in [Dialect::Marathon, Dialect::OpenWhisk] {
        let Ok(opts) = ParseOptions::new(dialect, None, &limits) else { panic!("default options refused") };
        for input in [ConstraintInput::Text(text), ConstraintInput::Array(&items)] {
            match parse_constraint(input, &opts) {
                Ok(Parsed::Constraint(c)) => {
                    let _ = (c.to_string(), c.field().name(), c.value(), c.uses_placements());
                }
                Ok(Parsed::Ignored(w)) => {
                    assert!(!w.message.is_empty());
                    if let ConstraintInput::Text(t) = input {
                        let _ = w.render(t);
                    }
                }
                Err(e) => offerfit_fuzz::check_error(&e.error, text),
            }
        }
    }
    // A custom OpenWhisk delimiter taken from the first line, the rest as the text.
    if let Some((delim, rest)) = text.split_once('\n') {
        match ParseOptions::new(Dialect::OpenWhisk, Some(delim), &limits) {
            Ok(opts) => {
                if let Err(e) = parse_constraint(ConstraintInput::Text(rest), &opts) {
                    offerfit_fuzz::check_error(&e.error, text);
                }
            }
            Err(e) => offerfit_fuzz::check_error(&e, text),
        }
    }
});
