//! Laws of the constraint language: parse ∘ display ∘ parse is the identity, evaluation never
//! panics on arbitrary attributes and placements, the cached and direct evaluation paths
//! agree, and pathological regexes are bounded.

use offerfit::constraint::{
    parse_constraint, render_scalar, Candidate, CompiledConstraints, Constraint, ConstraintInput, Dialect,
    DiskCandidate, GroupState, Operator, ParseOptions, Parsed, Preference,
};
use offerfit::{Attribute, Attributes, DiskSourceType, Label, Limits, Ranges, Set, Value};
use proptest::prelude::*;

fn parse(input: ConstraintInput<'_>, opts: &ParseOptions) -> Option<Constraint> {
    match parse_constraint(input, opts) {
        Ok(Parsed::Constraint(c)) => Some(c),
        _ => None,
    }
}

/// Field names: special ones, ordinary ones, and awkward ones (spaces, quotes, backslashes).
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("hostname".to_owned()),
        Just("@hostname".to_owned()),
        Just("@region".to_owned()),
        Just("@zone".to_owned()),
        "[a-z_]{1,8}",
        "[a-z \"\\\\@]{0,6}",
        any::<String>(),
    ]
}

/// Operator names in any case, plus near misses.
fn operator() -> impl Strategy<Value = String> {
    let names: Vec<String> = Operator::ALL.iter().map(|o| o.name().to_owned()).collect();
    prop_oneof![
        proptest::sample::select(names.clone()),
        proptest::sample::select(names).prop_map(|n| n.to_ascii_lowercase()),
        "[A-Z_<>=]{0,8}",
    ]
}

/// Values: numbers, regexes, sets, versions, and arbitrary text (leading/trailing spaces,
/// quotes, backslashes, empty).
fn value() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        "-?[0-9]{1,4}(\\.[0-9]{1,3})?",
        "[a-z0-9_./-]{0,8}",
        "\\{[a-z0-9]{1,3}(, ?[a-z0-9]{1,3}){0,3}\\}",
        "(>=|<|\\^|~)?[0-9]\\.[0-9](, <[0-9])?",
        "[a-z.*+?()\\[\\]|\\\\]{0,10}",
        "[ \t\"\\\\a-z]{0,8}",
        any::<String>(),
    ])
}

fn strategy_attributes() -> impl Strategy<Value = Attributes> {
    let name = prop_oneof!["(rack|zone|gpu|jdk|level|ports)", any::<String>()];
    let val = prop_oneof![
        any::<String>().prop_map(Value::Text),
        "[a-z0-9.-]{0,6}".prop_map(Value::Text),
        any::<f64>().prop_map(Value::Scalar),
        (0.0f64..1e6).prop_map(Value::Scalar),
        proptest::collection::vec((0u64..100, 0u64..100), 0..4).prop_map(|v| {
            Value::Ranges(Ranges::from_pairs(v.into_iter().map(|(a, b)| (a.min(b), a.max(b)))).unwrap_or_default())
        }),
        proptest::collection::vec("[a-z0-9]{0,3}", 0..4).prop_map(|v| Value::Set(Set::from_items(v))),
    ];
    proptest::collection::vec((name, val).prop_map(|(name, value)| Attribute { name, value }), 0..6)
        .prop_map(Attributes)
}

/// A fixed mix of valid constraints over the fields the attribute strategy produces.
fn constraints() -> Vec<Constraint> {
    [
        "rack UNIQUE",
        "hostname UNIQUE",
        "rack CLUSTER",
        "zone CLUSTER a",
        "rack GROUP_BY",
        "rack GROUP_BY 3",
        "zone GROUP_BY 0",
        "rack MAX_PER 2",
        "rack LIKE r[0-9]+",
        "gpu UNLIKE \\{0,1\\}",
        "level IS 2.5",
        "jdk IN {7, 8.0}",
        "jdk NOT_IN {7}",
        "ports EXISTS",
        "gpu NOT_EXISTS",
        "level >= 2",
        "rack < m",
        "jdk VERSION >=1.2, <2",
        "@region IS eu",
        "@zone UNIQUE",
        "rack LIKE (?!r1).*",
        r"zone LIKE (a)\1",
    ]
    .iter()
    .map(|t| t.parse().unwrap_or_else(|e| panic!("{t}: {e}")))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any constraint the array / object forms accept prints to a text that parses back to
    /// an equal constraint, and printing is stable.
    #[test]
    fn parse_display_parse_is_identity(f in field(), o in operator(), v in value(), array in any::<bool>()) {
        let opts = ParseOptions::default();
        let items: Vec<String> = [Some(f.clone()), Some(o.clone()), v.clone()].into_iter().flatten().collect();
        let input = if array {
            ConstraintInput::Array(&items)
        } else {
            ConstraintInput::Object { field: &f, operator: &o, value: v.as_deref() }
        };
        if let Some(c) = parse(input, &opts) {
            let text = c.to_string();
            let back = parse(ConstraintInput::Text(&text), &opts);
            prop_assert_eq!(back.as_ref(), Some(&c), "text `{}`", text);
            prop_assert_eq!(back.map(|b| b.to_string()), Some(text));
        }
    }

    /// The same from arbitrary texts.
    #[test]
    fn text_round_trips(t in prop_oneof!["[a-z@\" ]{1,6} [A-Za-z_<>=]{1,9}( .{0,12})?", any::<String>()]) {
        let opts = ParseOptions::default();
        if let Some(c) = parse(ConstraintInput::Text(&t), &opts) {
            let text = c.to_string();
            prop_assert_eq!(parse(ConstraintInput::Text(&text), &opts), Some(c), "`{}` printed as `{}`", t, text);
        }
    }

    /// OpenWhisk constraints whose pieces have no spaces print to their own default form.
    #[test]
    fn openwhisk_round_trips(f in "[a-z0-9_@]{1,6}", like in any::<bool>(), v in "[a-z0-9][a-z0-9.*]{0,5}") {
        let opts = ParseOptions::new(Dialect::OpenWhisk, None, &Limits::default()).unwrap();
        let op = if like { "LIKE" } else { "UNLIKE" };
        let t = format!("{f} {op} {v}");
        let c = parse(ConstraintInput::Text(&t), &opts).unwrap();
        prop_assert_eq!(c.to_string(), t.clone());
        prop_assert_eq!(parse(ConstraintInput::Text(&c.to_string()), &opts), Some(c));
    }

    /// Evaluation never panics, whatever the attributes and placements, and the per-agent
    /// cached path agrees with the direct one.
    #[test]
    fn evaluation_never_panics(
        offer in strategy_attributes(),
        placed in proptest::collection::vec((strategy_attributes(), "[a-c]"), 0..6),
        instances in proptest::option::of(0u32..10),
        host in "[a-c]",
    ) {
        let all = constraints();
        let prefs = all.iter().take(5).enumerate()
            .map(|(i, c)| Preference::new(c.clone(), i64::try_from(i).unwrap_or(0) * 10 - 20).unwrap())
            .collect();
        let cc = CompiledConstraints::new(all, prefs);
        let mut group = GroupState::for_constraints(&cc, instances);
        for (a, h) in &placed {
            let c = Candidate { hostname: h, attributes: a, region: Some("eu"), zone: None };
            group.record(&c);
        }
        prop_assert_eq!(group.placed() as usize, placed.len());
        let cand = Candidate { hostname: &host, attributes: &offer, region: None, zone: Some("z") };
        let values = cc.read(&cand);
        let direct = cc.check(&cand, &group);
        prop_assert_eq!(direct, cc.check_values(&values, &group));
        let results = cc.results(&values, &group);
        prop_assert_eq!(direct.err().map(|f| f.index), results.iter().position(|ok| !ok));
        let score = cc.preference_score(&cand, &group);
        prop_assert!((-100 * 5..=100 * 5).contains(&score));
        let labels: Vec<Label> = offer.iter().map(|a| Label { key: a.name.clone(), value: Some(a.value.to_string()) }).collect();
        let disk = DiskCandidate { kind: DiskSourceType::Mount, root: Some(&host), profile: None, vendor: None, metadata: &labels };
        let _ = cc.check_disk(&disk);
    }

    /// `0.###`: at most three fraction digits, no trailing zeros, within half a thousandth.
    #[test]
    fn scalar_rendering_is_close_and_short(x in 0.0f64..1e9) {
        let s = render_scalar(x);
        let frac = s.split_once('.').map_or("", |(_, f)| f);
        prop_assert!(frac.len() <= 3 && !frac.ends_with('0'), "{}", s);
        let back: f64 = s.parse().unwrap();
        prop_assert!((back - x).abs() <= 0.0005 + x * 1e-15, "{} -> {}", x, s);
    }
}

#[test]
fn pathological_regex_on_a_long_value_is_bounded() {
    let long = "a".repeat(50 * 1024);
    let attrs = Attributes(vec![Attribute { name: "rack".into(), value: Value::Text(format!("{long}!")) }]);
    let cand = Candidate::new("h", &attrs);
    let check = |t: &str| {
        let cc = CompiledConstraints::new(vec![t.parse().unwrap()], vec![]);
        cc.check(&cand, &GroupState::new(None)).is_ok()
    };
    // The linear engine: no catastrophic backtracking exists to hit.
    let c: Constraint = "rack LIKE (a+)+$".parse().unwrap();
    assert!(!c.regex().unwrap().is_backtracking());
    assert!(!check("rack LIKE (a+)+$"));
    assert!(check("rack UNLIKE (a+)+$"));
    assert!(check("rack LIKE (a+)+!"));
    // A backreference needs the backtracking engine; its step bound (here 100 000 steps,
    // about 15 ms in a release build) makes the match undecided, and an undecided match fails
    // LIKE and UNLIKE alike (fail closed).
    let limits = Limits { regex_backtrack: 100_000, ..Limits::default() };
    let opts = ParseOptions::new(Dialect::Marathon, None, &limits).unwrap();
    for (t, want) in [(r"rack LIKE (a+)+\1b", false), (r"rack UNLIKE (a+)+\1b", false), ("rack UNLIKE (?!a).*", true)] {
        let c = parse(ConstraintInput::Text(t), &opts).unwrap();
        assert!(c.regex().unwrap().is_backtracking(), "{t}");
        let cc = CompiledConstraints::new(vec![c], vec![]);
        assert_eq!(cc.check(&cand, &GroupState::new(None)).is_ok(), want, "{t}");
    }
    let c = parse(ConstraintInput::Text(r"rack LIKE (a+)+\1b"), &opts).unwrap();
    assert_eq!(c.regex().unwrap().whole_match(&format!("{long}!")), None);
}

#[test]
fn regex_over_the_size_limit_is_refused_clearly() {
    let e = "rack LIKE a{1000}{1000}".parse::<Constraint>().unwrap_err();
    assert_eq!(e.code(), "limit.regex_size");
    assert_eq!(
        e.as_parse().unwrap().render(),
        "rack LIKE a{1000}{1000}\n          ^^^^^^^^^^^^^ regular expression is too large once compiled, the limit `regex_size` is 1048576 bytes"
    );
    let small = Limits { string_bytes: 8, ..Limits::default() };
    let opts = ParseOptions::new(Dialect::Marathon, None, &small).unwrap();
    let e = parse_constraint(ConstraintInput::Text("rack LIKE abcdefghijk"), &opts).unwrap_err();
    assert_eq!(e.error.code(), "limit.string_bytes");
}
