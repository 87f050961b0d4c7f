//! `offerfit::call` on a JSON request, for the tests that read answers as JSON (included
//! with `#[path]` by the files that use both helpers).

use serde_json::Value as Json;

/// The answer to `request`.
pub fn call(request: &Json) -> Json {
    let answer = offerfit::call(&request.to_string());
    serde_json::from_str(&answer).expect("the answer is JSON")
}

/// The answer to `request`, which must be `ok`.
pub fn ok(request: &Json) -> Json {
    let answer = call(request);
    assert_eq!(answer["ok"], true, "{answer}");
    answer
}
