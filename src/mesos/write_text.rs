//! The model as Mesos v1 JSON text, written straight to bytes: `Serialize` views of the model
//! and a hand-written fast path for plain scalar resources. The bytes are those that
//! [`super::write`] builds as `serde_json::Value` trees (same keys in the same order, same
//! escaping and number formatting), without building the trees: the `place` response
//! (`wire/place_out.rs`) and the session's calls (`session/calls.rs`) are written with them.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::model::{DiskInfo, DiskSourceType, Label, Ranges, Reservation, Resource, ResourceValue, Resources, Set};

/// A double as [`super::scalar_json`] writes it: whole numbers without a fraction, `null` when not
/// finite.
pub(crate) struct Num(pub(crate) f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
            s.serialize_i64(x as i64)
        } else if x.is_finite() {
            s.serialize_f64(x)
        } else {
            s.serialize_unit()
        }
    }
}

/// A one-entry object `{key: value}`.
pub(crate) struct One<'a, T: ?Sized>(pub(crate) &'a str, pub(crate) &'a T);

impl<T: Serialize + ?Sized> Serialize for One<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.0, self.1)?;
        m.end()
    }
}

/// A list of items seen through `F`.
pub(crate) struct List<'a, T, F>(pub(crate) &'a [T], pub(crate) F);

impl<'a, T, V: Serialize, F: Fn(&'a T) -> V> Serialize for List<'a, T, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for x in self.0 {
            seq.serialize_element(&(self.1)(x))?;
        }
        seq.end()
    }
}

struct RangesOut<'a>(&'a Ranges);

impl Serialize for RangesOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Items<'a>(&'a Ranges);
        impl Serialize for Items<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.iter().len()))?;
                for r in self.0.iter() {
                    seq.serialize_element(&RangeOut(r.begin, r.end))?;
                }
                seq.end()
            }
        }
        struct RangeOut(u64, u64);
        impl Serialize for RangeOut {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("begin", &self.0)?;
                m.serialize_entry("end", &self.1)?;
                m.end()
            }
        }
        One("range", &Items(self.0)).serialize(s)
    }
}

struct SetOut<'a>(&'a Set);

impl Serialize for SetOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        One("item", self.0.items()).serialize(s)
    }
}

struct LabelsOut<'a>(&'a [Label]);

impl Serialize for LabelsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct LabelOut<'a>(&'a Label);
        impl Serialize for LabelOut<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("key", &self.0.key)?;
                if let Some(v) = &self.0.value {
                    m.serialize_entry("value", v)?;
                }
                m.end()
            }
        }
        One("labels", &List(self.0, LabelOut)).serialize(s)
    }
}

struct ReservationOut<'a>(&'a Reservation);

impl Serialize for ReservationOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", r.kind.as_str())?;
        m.serialize_entry("role", &r.role)?;
        if let Some(p) = &r.principal {
            m.serialize_entry("principal", p)?;
        }
        if !r.labels.is_empty() {
            m.serialize_entry("labels", &LabelsOut(&r.labels))?;
        }
        m.end()
    }
}

struct DiskOut<'a>(&'a DiskInfo);

impl Serialize for DiskOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Persist<'a>(&'a crate::model::Persistence);
        impl Serialize for Persist<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("id", &self.0.id)?;
                if let Some(p) = &self.0.principal {
                    m.serialize_entry("principal", p)?;
                }
                m.end()
            }
        }
        struct Vol<'a>(&'a crate::model::Volume);
        impl Serialize for Vol<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let v = self.0;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("container_path", &v.container_path)?;
                if let Some(h) = &v.host_path {
                    m.serialize_entry("host_path", h)?;
                }
                if let Some(mode) = v.mode {
                    m.serialize_entry("mode", if mode == crate::model::VolumeMode::Rw { "RW" } else { "RO" })?;
                }
                m.end()
            }
        }
        struct Source<'a>(&'a crate::model::DiskSource);
        impl Serialize for Source<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let src = self.0;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("type", src.kind.as_str())?;
                if let Some(root) = &src.root {
                    match src.kind {
                        DiskSourceType::Path => m.serialize_entry("path", &One("root", root))?,
                        DiskSourceType::Mount => m.serialize_entry("mount", &One("root", root))?,
                        _ => {}
                    }
                }
                for (key, v) in [("vendor", &src.vendor), ("id", &src.id), ("profile", &src.profile)] {
                    if let Some(v) = v {
                        m.serialize_entry(key, v)?;
                    }
                }
                if !src.metadata.is_empty() {
                    m.serialize_entry("metadata", &LabelsOut(&src.metadata))?;
                }
                m.end()
            }
        }
        let d = self.0;
        let mut m = s.serialize_map(None)?;
        if let Some(p) = &d.persistence {
            m.serialize_entry("persistence", &Persist(p))?;
        }
        if let Some(v) = &d.volume {
            m.serialize_entry("volume", &Vol(v))?;
        }
        if let Some(src) = &d.source {
            m.serialize_entry("source", &Source(src))?;
        }
        m.end()
    }
}

/// One resource, as [`super::resource_to_json`] writes it.
pub(crate) struct ResourceOut<'a>(pub(crate) &'a Resource);

impl Serialize for ResourceOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Empty;
        impl Serialize for Empty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_map(Some(0))?.end()
            }
        }
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", r.name.as_str())?;
        m.serialize_entry("type", r.value_type().as_str())?;
        match &r.value {
            ResourceValue::Scalar(x) => m.serialize_entry("scalar", &One("value", &Num(x.to_f64())))?,
            ResourceValue::Ranges(x) => m.serialize_entry("ranges", &RangesOut(x))?,
            ResourceValue::Set(x) => m.serialize_entry("set", &SetOut(x))?,
        }
        m.serialize_entry("reservations", &List(&r.reservations, ReservationOut))?;
        if let Some(d) = &r.disk {
            m.serialize_entry("disk", &DiskOut(d))?;
        }
        if r.shared {
            m.serialize_entry("shared", &Empty)?;
        }
        if r.revocable {
            m.serialize_entry("revocable", &Empty)?;
        }
        if let Some(role) = &r.allocation_role {
            m.serialize_entry("allocation_info", &One("role", role))?;
        }
        if let Some(p) = &r.provider_id {
            m.serialize_entry("provider_id", &One("value", p))?;
        }
        m.end()
    }
}

/// Writes `v` with `serde_json` (its escaping and number formatting).
pub(crate) fn put<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> Result<(), serde_json::Error> {
    serde_json::to_writer(&mut *out, v)
}

/// Writes the string `s` as [`put`] does (the same bytes): as it is between quotes when no byte
/// of it needs an escape ([`crate::json::needs_escape`], eight bytes a step), else by
/// `serde_json`.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), serde_json::Error> {
    if crate::json::needs_escape(s.as_bytes()) {
        return put(out, s);
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Resources: the common plain scalar resource by hand, any other through [`ResourceOut`].
pub(crate) fn write_resources(out: &mut Vec<u8>, r: &Resources) -> Result<(), serde_json::Error> {
    out.push(b'[');
    for (i, res) in r.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let plain = res.reservations.is_empty()
            && res.disk.is_none()
            && !res.shared
            && !res.revocable
            && res.allocation_role.is_none()
            && res.provider_id.is_none();
        match &res.value {
            ResourceValue::Scalar(x) if plain => {
                out.extend_from_slice(br#"{"name":"#);
                put_str(out, res.name.as_str())?;
                out.extend_from_slice(br#","type":"SCALAR","scalar":{"value":"#);
                put(out, &Num(x.to_f64()))?;
                out.extend_from_slice(br#"},"reservations":[]}"#);
            }
            _ => put(out, &ResourceOut(res))?,
        }
    }
    out.push(b']');
    Ok(())
}
