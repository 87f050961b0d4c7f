//! The fast path of `place`: request text straight to the engine's types and the plan
//! straight back to text, with no `serde_json::Value` tree in between.
//!
//! The general path ([`super::call_with_limits`]) parses the text into a `Value`, checks it
//! against the [`Limits`], decodes the request from it, and builds the response as a `Value`.
//! For a well-formed `place` request this one does the same work in one typed pass:
//!
//! 1. [`prescan`] walks the bytes once and proves the limits that the JSON shows (nesting
//!    depth, string and key lengths, the counted arrays) and that no object repeats a key;
//! 2. serde derive reads the request into the decoding structs of [`super::ops_place`] and
//!    [`super::mesos`], converting each offer and task as soon as it is read;
//! 3. the plan is serialized by [`super::place_out`].
//!
//! At the first doubt (anything the prescan cannot prove, a decoding or conversion error) it
//! gives up and the general path answers, so every refusal of the request's text or shape
//! (code, message, path, caret) is the general path's own. Once the request is decoded, the
//! engine's refusal (a regex over the request's budget, a bad constraint) is answered here,
//! written as the general path writes it: the general path would decode the same request and
//! get the same error, and placing it twice doubled the cost of a refusal (issue 20: 3,000
//! tasks × 64 regexes). The answers are byte-identical to the general path's (tested over the
//! request corpus).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::dto::fast::{give_up, prescan, ListSeed, OfferItem, RunningItem, Sizes, TaskItem};
use crate::dto::place::{options_from_dto, OptionsDto};
use crate::engine::{Engine, Options, PlaceRequest};
use crate::limits::Limits;

/// Answers a `place` request given as text, or `None` when the general path must answer
/// (another op, any refusal, anything this path does not prove safe).
pub(crate) fn try_place(text: &str, limits: &Limits) -> Option<String> {
    let sizes = prescan(text.as_bytes(), limits).filter(|s| s.place)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let req = de.deserialize_map(RequestVisitor(sizes)).ok()?;
    de.end().ok()?;
    let engine = Engine::new(req.options).ok()?;
    let plan = match engine.place(&req.request) {
        Ok(plan) => plan,
        Err(e) => {
            let refusal = super::answer(Err(super::fail(e.error, &e.path)));
            return Some(super::encode_response(&serde_json::Value::Object(refusal)));
        }
    };
    // The response is about as long as the request when most tasks are placed.
    super::place_out::response_text(&plan, text.len()).ok()
}

/// The decoded request.
struct Decoded {
    options: Options,
    request: PlaceRequest,
}

/// The request object: `op` (`place`), `offers`, `tasks`, `running`?, `options`?, nothing else.
struct RequestVisitor(Sizes);

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = Decoded;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a place request")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decoded, A::Error> {
        let (mut op, mut offers, mut tasks, mut running, mut options) = (false, None, None, None, None);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Op => {
                    if map.next_value::<&str>()? != "place" {
                        return Err(give_up());
                    }
                    op = true;
                }
                Key::Offers => offers = Some(map.next_value_seed(ListSeed(OfferItem, self.0.offers))?),
                Key::Tasks => tasks = Some(map.next_value_seed(ListSeed(TaskItem, self.0.tasks))?),
                Key::Running => running = Some(map.next_value_seed(ListSeed(RunningItem, self.0.running))?),
                Key::Options => {
                    options = Some(match map.next_value::<Option<OptionsDto>>()? {
                        None => Options::default(),
                        Some(dto) => options_from_dto(dto).map_err(|_| give_up::<A::Error>())?,
                    })
                }
            }
        }
        match (op, offers, tasks) {
            (true, Some(offers), Some(tasks)) => Ok(Decoded {
                options: options.unwrap_or_default(),
                request: PlaceRequest { offers, tasks, running: running.unwrap_or_default() },
            }),
            _ => Err(give_up()),
        }
    }
}

/// A key of the request object; any other gives up.
enum Key {
    Op,
    Offers,
    Tasks,
    Running,
    Options,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "op" => Key::Op,
                    "offers" => Key::Offers,
                    "tasks" => Key::Tasks,
                    "running" => Key::Running,
                    "options" => Key::Options,
                    _ => return Err(give_up()),
                })
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_and_general_paths_agree() {
        let req = r#"{"op":"place","offers":[{"id":{"value":"o1"},"agent_id":{"value":"a1"},"hostname":"h1",
            "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":4}},{"name":"mem","type":"SCALAR","scalar":{"value":1024}},
            {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31005}]}}],
            "attributes":[{"name":"rack","type":"TEXT","text":{"value":"r1"}}],"url":{"x":[1,2]}}],
            "tasks":[{"id":"t1","cpus":1.5,"mem":128,"ports":[0],"constraints":[["rack","UNIQUE"]]},{"id":"t2","cpus":8}],
            "options":{"strategy":"spread"}}"#;
        let fast = try_place(req, &Limits::DEFAULT).expect("the fast path answers");
        let json = crate::wire::parse_strict(req).unwrap();
        let general = serde_json::to_string(&crate::wire::call_json(json)).unwrap();
        assert_eq!(fast, general);
        assert!(try_place(r#"{"op":"place","offers":[],"tasks":[],"extra":1}"#, &Limits::DEFAULT).is_none());
        assert!(try_place(r#"{"op":"place","offers":[7],"tasks":[]}"#, &Limits::DEFAULT).is_none());
        assert!(try_place(r#"{"op":"version"}"#, &Limits::DEFAULT).is_none());
        let sizes = prescan(
            br#"{"op":"place","offers":[{}],"tasks":[{},{"constraints":[1,2,3]}],"running":[]}"#,
            &Limits::DEFAULT,
        )
        .unwrap();
        assert_eq!((sizes.offers, sizes.tasks, sizes.running, sizes.place), (1, 2, 0, true));
        for (text, place) in [
            (r#"{"op":"place"}"#, true),
            (" { \"op\" :\n \"place\" , \"x\":[]} ", true),
            (r#"{"x":{"op":"place"},"op":"version"}"#, false),
            (r#"{"x":{"op":"place"}}"#, false),
            (r#"{"op":"pl\u0061ce"}"#, false),
            (r#"{"op":"placed"}"#, false),
            (r#"[{"op":"place"}]"#, false),
            (r#"{"tasks":["place"],"op":"place"}"#, true),
        ] {
            assert_eq!(prescan(text.as_bytes(), &Limits::DEFAULT).map(|s| s.place), Some(place), "{text}");
        }
    }

    /// The golden requests (every profile, disks, volumes, gangs, executors, running tasks)
    /// take the fast path, and it answers exactly what the general path does.
    #[test]
    fn golden_requests_take_the_fast_path() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/place");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".request.json"))
            .collect();
        files.sort();
        files.push(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/place-request.json").into());
        assert!(files.len() >= 13);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let fast = try_place(&text, &Limits::DEFAULT).unwrap_or_else(|| panic!("{}: no fast answer", f.display()));
            let general = crate::wire::call_json(crate::wire::parse_strict(&text).unwrap()).to_string();
            assert_eq!(fast, general, "{}", f.display());
        }
    }

    /// Whatever the fast path gives up on, `call` still answers as the general path does;
    /// the engine's refusals of a decoded request it answers itself, as the general path does.
    #[test]
    fn refusals_come_from_the_general_path() {
        for req in [
            r#"{"op":"place","offers":[],"tasks":[],"tasks":[]}"#,
            r#"{"op":"place","offers":[{"id":"o","agent_id":"a","hostname":"h","x":{"y":1,"y":2}}],"tasks":[]}"#,
            r#"{"op":"place","offers":[],"tasks":[] "#,
        ] {
            assert!(try_place(req, &Limits::DEFAULT).is_none(), "{req}");
            let out = crate::call(req);
            assert!(out.starts_with(r#"{"ok":false"#), "{out}");
        }
        for req in [
            r#"{"op":"place","offers":[],"tasks":[{"id":"a","cpus":-1}]}"#,
            r#"{"op":"place","offers":[],"tasks":[{"id":"a","constraints":[["x","LIKE","("]]}]}"#,
            r#"{"op":"place","offers":[],"tasks":[{"id":"a"},{"id":"b","constraints":["rack  LIKE"]}]}"#,
            r#"{"op":"place","offers":[],"tasks":[{"id":"a"},{"id":"a"}]}"#,
        ] {
            let fast = try_place(req, &Limits::DEFAULT).unwrap_or_else(|| panic!("{req}: no fast answer"));
            let general = crate::wire::call_json(crate::wire::parse_strict(req).unwrap()).to_string();
            assert_eq!(fast, general, "{req}");
            assert!(fast.starts_with(r#"{"ok":false"#), "{fast}");
        }
        // Invalid text whose separators would claim a huge array: no huge allocation.
        let huge = Limits { tasks: usize::MAX, ..Limits::DEFAULT };
        let commas = format!(r#"{{"op":"place","offers":[],"tasks":[{}]}}"#, ",".repeat(200_000));
        assert!(try_place(&commas, &huge).is_none());
    }
}
