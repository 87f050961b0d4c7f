//! What a constraint looks at: an agent being considered for a task ([`Candidate`]) or a
//! disk being considered for a volume ([`DiskCandidate`]), and the value each shows for a
//! field.

use std::borrow::Cow;

use crate::model::{Attributes, DiskInfo, DiskSourceType, Label, Value};

use super::ast::{Dialect, Field};
use super::render::render_value;

/// An agent being considered for a task: what its constraints can look at.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The agent's hostname (`hostname` / `@hostname`).
    pub hostname: &'a str,
    /// The agent's attributes.
    pub attributes: &'a Attributes,
    /// The offer's fault-domain region (`@region`), if any.
    pub region: Option<&'a str>,
    /// The offer's fault-domain zone (`@zone`), if any.
    pub zone: Option<&'a str>,
}

impl<'a> Candidate<'a> {
    /// A candidate without a fault domain.
    pub fn new(hostname: &'a str, attributes: &'a Attributes) -> Candidate<'a> {
        Candidate { hostname, attributes, region: None, zone: None }
    }

    /// What `field` reads on this agent in `dialect`, or `None` when absent. Marathon renders
    /// non-text attributes (`7`, `[1-2,5-9]`, `{0,1}`); OpenWhisk sees only TEXT values (any
    /// other type reads as the empty string) and has no special fields. Only the first
    /// attribute of a duplicated name counts.
    ///
    /// ```
    /// use offerfit::constraint::{Candidate, Dialect, Field};
    /// use offerfit::{Attribute, Attributes, Value};
    /// let attrs = Attributes(vec![Attribute { name: "jdk".into(), value: Value::Scalar(7.0) }]);
    /// let c = Candidate::new("h1", &attrs);
    /// let jdk = Field::Attribute("jdk".into());
    /// assert_eq!(c.field_value(&jdk, Dialect::Marathon).as_deref(), Some("7"));
    /// assert_eq!(c.field_value(&jdk, Dialect::OpenWhisk).as_deref(), Some(""));
    /// assert_eq!(c.field_value(&Field::Hostname, Dialect::Marathon).as_deref(), Some("h1"));
    /// ```
    pub fn field_value(&self, field: &Field, dialect: Dialect) -> Option<Cow<'a, str>> {
        match (dialect, field) {
            (Dialect::Marathon, Field::Hostname) => Some(Cow::Borrowed(self.hostname)),
            (Dialect::Marathon, Field::Region) => self.region.map(Cow::Borrowed),
            (Dialect::Marathon, Field::Zone) => self.zone.map(Cow::Borrowed),
            (Dialect::Marathon, Field::Attribute(name)) => self.attributes.get(name).map(|a| render_value(&a.value)),
            (Dialect::OpenWhisk, f) => self.attributes.get(f.name()).map(|a| match &a.value {
                Value::Text(t) => Cow::Borrowed(t.as_str()),
                _ => Cow::Borrowed(""),
            }),
        }
    }
}

/// A disk being considered for a volume: what its `require` constraints can look at.
///
/// Fields: `type` (`ROOT`, `PATH`, `MOUNT`, `BLOCK`, `RAW`), `path` (the source's root;
/// `""` for ROOT or when none is set), `profile` and `vendor` (absent when unset or empty),
/// and every label of `disk.source.metadata` (a label without a value reads as `""`). The
/// four built-in names win over labels of the same key.
#[derive(Debug, Clone, Copy)]
pub struct DiskCandidate<'a> {
    /// The disk's source type.
    pub kind: DiskSourceType,
    /// `path.root` / `mount.root`.
    pub root: Option<&'a str>,
    /// The CSI profile.
    pub profile: Option<&'a str>,
    /// The CSI vendor.
    pub vendor: Option<&'a str>,
    /// `disk.source.metadata` labels.
    pub metadata: &'a [Label],
}

impl<'a> DiskCandidate<'a> {
    /// The capabilities of a disk resource's `disk` info (no source = ROOT).
    pub fn from_disk(disk: &'a DiskInfo) -> DiskCandidate<'a> {
        match &disk.source {
            None => DiskCandidate::root(),
            Some(s) => DiskCandidate {
                kind: s.kind,
                root: s.root.as_deref(),
                profile: s.profile.as_deref(),
                vendor: s.vendor.as_deref(),
                metadata: &s.metadata,
            },
        }
    }

    /// The agent's ROOT disk.
    pub fn root() -> DiskCandidate<'a> {
        DiskCandidate { kind: DiskSourceType::Root, root: None, profile: None, vendor: None, metadata: &[] }
    }

    /// What `field` reads on this disk, or `None` when absent.
    ///
    /// ```
    /// use offerfit::constraint::{DiskCandidate, Field};
    /// use offerfit::{DiskSourceType, Label};
    /// let labels = [Label { key: "storage_type".into(), value: Some("ssd".into()) }];
    /// let d = DiskCandidate { kind: DiskSourceType::Mount, root: Some("/mnt/a"), profile: None, vendor: None, metadata: &labels };
    /// assert_eq!(d.field_value(&Field::Attribute("type".into())).as_deref(), Some("MOUNT"));
    /// assert_eq!(d.field_value(&Field::Attribute("storage_type".into())).as_deref(), Some("ssd"));
    /// assert_eq!(d.field_value(&Field::Attribute("profile".into())), None);
    /// ```
    pub fn field_value(&self, field: &Field) -> Option<Cow<'a, str>> {
        let Field::Attribute(name) = field else { return None };
        match name.as_str() {
            "type" => Some(Cow::Borrowed(self.kind.as_str())),
            "path" => Some(Cow::Borrowed(self.root.unwrap_or(""))),
            "profile" => self.profile.filter(|p| !p.is_empty()).map(Cow::Borrowed),
            "vendor" => self.vendor.filter(|p| !p.is_empty()).map(Cow::Borrowed),
            key => self.metadata.iter().find(|l| l.key == key).map(|l| Cow::Borrowed(l.value.as_deref().unwrap_or(""))),
        }
    }
}
