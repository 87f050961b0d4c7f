//! Mesos v1 resources read from JSON *text* without a `serde_json::Value` tree: each resource
//! object is decoded into its DTO straight from the text and converted as soon as it is read.
//! Anything that path does not take (a problem of any kind, or a shape it cannot be sure of
//! reading the same way, such as a key given twice) is read again through the `Value` reader,
//! so the answer is always [`resources_from_json`]'s: the same resources, the same errors.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use super::dto::{ObjOnly, ResourceDto};
use super::pointer::serde_error;
use super::read::{resource_from_dto, resources_from_json, Origin, ReadError, ReadErrors};
use crate::error::Error;
use crate::model::resources::first_type_conflict as type_conflict_at;
use crate::model::{Resource, Resources};

/// [`resources_from_json`] of the JSON value `text` holds (an array of Mesos v1 `Resource`
/// objects or a resources text), without building the value when the text is well formed.
/// This is the reader for a program that holds JSON text, such as one field of a larger
/// message captured as raw text.
///
/// # Errors
/// [`resources_from_json`]'s errors for the same value, with their JSON pointers under `path`;
/// a `text` that is not one JSON value is one `request.json` error at `path`.
///
/// ```
/// use offerfit::mesos::{resources_from_json, resources_from_json_text};
/// let text = r#"[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}},
///               {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": "31000", "end": 31005}]}}]"#;
/// let r = resources_from_json_text(text, "").unwrap();
/// assert_eq!(r.to_string(), "cpus:2; ports:[31000-31005]");
/// assert_eq!(resources_from_json_text(r#""cpus:4; mem:1024""#, "").unwrap().to_string(), "cpus:4; mem:1024");
/// let bad = r#"[{"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}]"#;
/// let e = resources_from_json_text(bad, "/r").unwrap_err();
/// assert_eq!(e, resources_from_json(&serde_json::from_str(bad).unwrap(), "/r").unwrap_err());
/// assert_eq!(resources_from_json_text("[", "/r").unwrap_err()[0].error.code(), "request.json");
/// ```
pub fn resources_from_json_text(text: &str, path: &str) -> Result<Resources, ReadErrors> {
    if let Some(r) = read_direct(text) {
        return Ok(r);
    }
    match serde_json::from_str::<Json>(text) {
        Ok(json) => resources_from_json(&json, path),
        Err(e) => {
            let (_, message) = serde_error(&e);
            Err(vec![ReadError::new(Error::invalid("request.json", message), path)])
        }
    }
}

/// The resources straight from the text, or `None` where that path gives up (the caller then
/// reads the text the `Value` way, which gives the answer, error or not).
fn read_direct(text: &str) -> Option<Resources> {
    match serde_json::from_str::<DirectList>(text).ok()? {
        DirectList::List(list) => {
            if type_conflict_at(&list).is_some() {
                return None;
            }
            Some(Resources::from_vec_merged(list))
        }
        DirectList::Text(t) => crate::text::parse_resources(&t, "*").ok(),
    }
}

/// An array of resource objects (each converted as `resources_from_json` converts it) or a
/// resources text; any problem is a deserialization error (the caller then reads the text
/// again through its general reader). Also the offer fast path's `resources` (`dto::mesos`).
pub(crate) enum DirectList {
    List(Vec<Resource>),
    Text(String),
}

impl<'de> Deserialize<'de> for DirectList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DirectList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DirectList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of Mesos resources or a resources text")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DirectList, E> {
                Ok(DirectList::Text(v.to_owned()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<DirectList, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
                while let Some(ObjOnly(dto)) = seq.next_element::<ObjOnly<ResourceDto>>()? {
                    let r = resource_from_dto(dto, "*", Origin::Api)
                        .map_err(|_| de::Error::custom("read again by the general reader"))?;
                    out.push(r);
                }
                Ok(DirectList::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value reader's answer for `text` (which must be JSON).
    fn by_value(text: &str) -> Result<Resources, ReadErrors> {
        resources_from_json(&serde_json::from_str(text).unwrap(), "/p")
    }

    #[test]
    fn same_answer_as_the_value_reader() {
        let cases = [
            // Taken straight from the text.
            r#"[]"#,
            r#"[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.5}, "allocation_info": {"role": "web"}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": "256"}, "role": "web"},
                {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31002}, {"begin": 31001, "end": 31004}]}},
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}, "allocation_info": {"role": "web"}}]"#,
            r#"[{"name": "disk", "type": "SCALAR", "scalar": {"value": 1024},
                 "reservations": [{"type": "DYNAMIC", "role": "eng", "principal": "ops"}],
                 "disk": {"persistence": {"id": "v1", "principal": "ops"}, "volume": {"container_path": "d", "mode": "RW"}},
                 "shared": {}, "providerId": {"value": "rp"}, "someFutureField": [1, {"x": 2}]}]"#,
            r#"[{"name": "s", "type": "SET", "set": {"item": ["b", "a\u00e9"]}, "revocable": {}}]"#,
            r#""cpus:4; mem:1024; ports(web):[31000-31005]""#,
            // Read again the value way: errors of meaning, of structure, of type.
            r#"[{"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}]"#,
            r#"[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}, {"name": "cpus", "type": "RANGES", "ranges": {"range": []}}]"#,
            r#"[{"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 5, "end": 1}]}}, 7, "x"]"#,
            r#"[["cpus", "SCALAR"]]"#,
            r#"[{"type": "SCALAR", "scalar": {"value": 1}}]"#,
            r#"[{"name": "cpus", "type": "BOGUS", "scalar": {"value": 1}}]"#,
            r#"[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "allocation_info": {"role": "a"}, "allocationInfo": {"role": "b"}}]"#,
            r#""cpus(x:1""#,
            r#"{"name": "cpus"}"#,
            r#"5"#,
            r#"null"#,
        ];
        for text in cases {
            assert_eq!(resources_from_json_text(text, "/p"), by_value(text), "{text}");
        }
    }

    #[test]
    fn a_key_given_twice_is_read_as_the_value_reader_reads_it() {
        // The derived DTO refuses a repeated key; the value keeps the last one.
        let text = r#"[{"name": "cpus", "name": "mem", "type": "SCALAR", "scalar": {"value": 64}}]"#;
        assert!(read_direct(text).is_none());
        let r = resources_from_json_text(text, "").unwrap();
        assert_eq!(r, by_value(text).unwrap());
        assert_eq!(r.to_string(), "mem:64");
    }

    #[test]
    fn well_formed_resources_take_the_direct_path() {
        let text = r#"[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}, "allocation_info": {"role": "r"}},
                       {"name": "mem", "type": "SCALAR", "scalar": {"value": 128}, "allocation_info": {"role": "r"}}]"#;
        assert_eq!(read_direct(text), Some(by_value(text).unwrap()));
        assert!(read_direct(r#"[{"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}]"#).is_none());
    }

    #[test]
    fn text_that_is_not_json_is_one_error() {
        let e = resources_from_json_text("[{", "/r").unwrap_err();
        assert_eq!((e.len(), e[0].error.code(), e[0].path.as_str()), (1, "request.json", "/r"));
    }
}
