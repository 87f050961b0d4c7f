//! The constraint dialect a task's constraints are written in. It lives with the model
//! because a [`crate::TaskRequest`] names it; [`crate::constraint`] gives it its meaning.

/// The constraint dialect: how text is cut into pieces and how values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// Marathon's rules (SEMANTICS §1) plus offerfit's extra operators: `hostname`,
    /// `@hostname`, `@region` and `@zone` are fields, attribute values are rendered to text
    /// (`0.###`, `[a-b,...]`, `{...}`), and a missing attribute fails every operator except the
    /// negative ones (`UNLIKE`, `NOT_IN`, `NOT_EXISTS`).
    #[default]
    Marathon,
    /// OpenWhisk's `whisk.mesos.constraints` strings evaluated as mesos-actor does
    /// (SEMANTICS §3.1, §3.2 step 5): only `LIKE` / `UNLIKE`, every field is an attribute
    /// name, only TEXT values are seen (any other type reads as the empty string), and a
    /// missing attribute fails `LIKE` and `UNLIKE` alike. Such a constraint prints as
    /// `attribute OPERATOR value` joined by single spaces, which the default delimiter splits
    /// back as long as no piece contains a space.
    OpenWhisk,
}

impl Dialect {
    /// `marathon` or `openwhisk`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Marathon => "marathon",
            Dialect::OpenWhisk => "openwhisk",
        }
    }
}
