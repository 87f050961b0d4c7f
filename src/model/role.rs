//! Role names as Mesos checks and orders them (`roles::validate`, `roles::isStrictSubroleOf`
//! in apache/mesos src/common/roles.cpp).

use crate::error::{Error, Result};

/// Checks a role name as Mesos' `roles::validate` does. `*` (unreserved) is valid;
/// hierarchical roles `a/b/c` are allowed.
///
/// # Errors
/// `resources.role`: an empty role, a leading or trailing `/`, `//`, a component `.`, `..`
/// or `*`, a component starting with `-`, or whitespace / backspace anywhere.
///
/// ```
/// use offerfit::validate_role;
/// assert!(validate_role("*").is_ok() && validate_role("eng/backend").is_ok());
/// assert_eq!(validate_role("a//b").unwrap_err().message(), "role `a//b` must not contain `//`");
/// ```
pub fn validate_role(role: &str) -> Result<()> {
    let bad = |msg: String| Err(Error::invalid("resources.role", msg));
    if role == "*" {
        return Ok(());
    }
    if role.is_empty() {
        return bad("expected a role name, found nothing".into());
    }
    if role.chars().any(|c| matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{8}')) {
        return bad(format!("role `{role}` must not contain whitespace or backspace"));
    }
    if role.starts_with('/') {
        return bad(format!("role `{role}` must not start with `/`"));
    }
    if role.ends_with('/') {
        return bad(format!("role `{role}` must not end with `/`"));
    }
    for component in role.split('/') {
        if component.is_empty() {
            return bad(format!("role `{role}` must not contain `//`"));
        }
        if matches!(component, "." | ".." | "*") {
            return bad(format!("role `{role}` must not have `{component}` as a component"));
        }
        if component.starts_with('-') {
            return bad(format!("role component `{component}` must not start with `-`"));
        }
    }
    Ok(())
}

/// True when `role` is a strict descendant of `ancestor` in the role hierarchy: `a/b` is
/// below `a`, but `a/bx` is not below `a/b` (Mesos' `roles::isStrictSubroleOf`).
///
/// ```
/// use offerfit::is_strict_subrole_of;
/// assert!(is_strict_subrole_of("a/b/c", "a/b"));
/// assert!(!is_strict_subrole_of("a/bx", "a/b") && !is_strict_subrole_of("a", "a"));
/// ```
pub fn is_strict_subrole_of(role: &str, ancestor: &str) -> bool {
    role.len() > ancestor.len()
        && role.starts_with(ancestor)
        && role.as_bytes().get(ancestor.len()) == Some(&b'/')
        && ancestor != "*"
}
