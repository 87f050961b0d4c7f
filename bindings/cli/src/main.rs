//! The `offerfit` command.
fn main() {
    println!("{}", offerfit::call(r#"{"op":"version"}"#));
}
