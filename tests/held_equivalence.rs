//! `Engine::place_held` against `Engine::place`: over random sequences of offers arriving,
//! used, rescinded and declined, tasks submitted and launched, the incremental answer equals a
//! fresh `place` on the same request byte for byte (plans, reasons, errors), whatever the
//! constraints (hostname `UNIQUE`, `GROUP_BY`, `LIKE`, `CLUSTER`), running tasks, ports,
//! reservations, maintenance, allocation roles, duplicate offer ids, options and limits.

use offerfit::{
    ConstraintSpec, DeclineReason, Engine, Held, Limits, Offer, Options, PlaceRequest, Profile, Reservation, Resource,
    ResourceValue, RunningTask, Scalar, Strategy, TaskRequest, TieBreak, Unavailability,
};
use proptest::prelude::*;

#[path = "common/gen.rs"]
mod gen;

/// The property's seed drives a whole sequence.
use gen::Gen as Rng;

fn offer(rng: &mut Rng, serial: &mut u64, ids: &[String]) -> Offer {
    *serial += 1;
    let agent = rng.below(14);
    // Now and then an offer id already held (the engine refuses the request).
    let id = if rng.chance(3) && !ids.is_empty() { rng.pick(ids).clone() } else { format!("O{serial}") };
    // Agents 12 and 13 share a hostname with agents 0 and 1.
    let mut o = Offer::new(id, format!("S{agent}"), format!("host-{}", agent % 12));
    let cpus = *rng.pick(&[1u64, 2, 4, 8]);
    let mem = *rng.pick(&[512u64, 2048, 4096]);
    let mut text = format!("cpus:{cpus};mem:{mem}");
    if rng.chance(70) {
        let from = 31000 + rng.below(4) * 10;
        text.push_str(&format!(";ports:[{from}-{}]", from + rng.below(6)));
    }
    if rng.chance(20) {
        text.push_str(";disk:1000");
    }
    o.resources = offerfit::parse_resources(&text, "*").unwrap();
    if rng.chance(15) {
        let mut r = Resource::new("cpus", ResourceValue::Scalar(Scalar::from_units(2)));
        r.reservations.push(Reservation::static_for("web"));
        o.resources.push(r);
    }
    let rack = agent % 3;
    let attrs = if rng.chance(10) { format!("rack:r{rack};gen:{}", rng.below(2)) } else { format!("rack:r{rack}") };
    o.attributes = offerfit::parse_attributes(&attrs).unwrap();
    if agent % 4 == 0 {
        o.zone = Some(format!("z{}", agent % 2));
    }
    if rng.chance(5) {
        o.unavailability = Some(Unavailability { start_ns: 1_000_000_000, duration_ns: Some(3_600_000_000_000) });
    }
    if rng.chance(2) {
        o.allocation_role = Some("web".into());
    }
    if rng.chance(3) {
        o.executor_ids = vec!["ex1".into()];
    }
    o
}

fn task(rng: &mut Rng, serial: &mut u64) -> TaskRequest {
    *serial += 1;
    let mut t = TaskRequest::new(format!("t{serial}"));
    t.cpus = Scalar::from_units(*rng.pick(&[1i64, 1, 2, 4]));
    t.mem = Scalar::from_units(*rng.pick(&[128i64, 512, 1024]));
    let app = rng.below(4);
    t.group = Some(format!("/app{app}"));
    let constraints: &[&str] = match app {
        0 => &["hostname UNIQUE"],
        1 => &["rack GROUP_BY"],
        2 => &["rack LIKE r[01]"],
        _ => &[],
    };
    t.constraints = constraints.iter().map(|c| ConstraintSpec::text(*c)).collect();
    if rng.chance(10) {
        t.constraints.push(ConstraintSpec::text("hostname CLUSTER host-3"));
    }
    if rng.chance(10) {
        t.constraints.push(ConstraintSpec::text("gen LIKE 1"));
    }
    if rng.chance(30) {
        t.ports = vec![0];
    } else if rng.chance(10) {
        t.ports = vec![31000 + rng.below(40)];
    }
    if rng.chance(10) {
        t.role = Some("web".into());
    }
    t
}

fn options(rng: &mut Rng) -> Options {
    let mut o = Options {
        strategy: *rng.pick(&[Strategy::Binpack, Strategy::Spread, Strategy::FirstFit]),
        now: Some(2.0),
        ..Options::default()
    };
    if rng.chance(20) {
        o.tie_break = TieBreak::AgentId;
    }
    if rng.chance(15) {
        o.profile = Profile::Marathon;
    }
    if rng.chance(10) {
        o.port_blacklist.insert("host-2".into(), vec![31000, 31001]);
    }
    if rng.chance(10) {
        o.limits = Limits { ranges_per_resource: 1, ..Limits::default() };
    }
    if rng.chance(10) {
        o.explain = false;
    }
    o
}

/// `place_held` on `held` equals `place` on its request; returns the offers the plan used
/// and the tasks it launched (id, agent id, hostname).
fn check(engine: &Engine, held: &Held, seed: u64) -> (Vec<String>, Vec<(String, String, String)>) {
    let request = held.request();
    let fresh = engine
        .place(&request)
        .map(|mut p| {
            if held.keeps_unused() {
                p.decline.retain(|d| d.reason != DeclineReason::Unused);
            }
            format!("{p:?}")
        })
        .map_err(|e| format!("{e:?}"));
    let (incremental, used, launched) = match engine.place_held(held) {
        Ok(plan) => {
            let used: Vec<String> =
                plan.accept.iter().flat_map(|a| a.offer_ids.iter().map(|o| o.to_string())).collect();
            let launched: Vec<(String, String, String)> = plan
                .accept
                .iter()
                .flat_map(|a| {
                    a.tasks.iter().map(|t| (t.task_id.to_string(), a.agent_id.to_string(), a.hostname.to_string()))
                })
                .collect();
            (Ok(format!("{plan:?}")), used, launched)
        }
        Err(e) => (Err(format!("{e:?}")), Vec::new(), Vec::new()),
    };
    assert_eq!(incremental, fresh, "seed {seed}");
    (used, launched)
}

/// Offers removed from the middle of the store and new ones arriving after, over enough
/// removals that the store compacts (more than 32 gaps, a third of it) several times: every
/// batch equals `place` on the request without the gaps.
#[test]
fn middle_removals_and_arrivals_across_compactions() {
    for seed in 0..8u64 {
        let mut rng = Rng::new(seed);
        let mut held = Held::new();
        let (mut offers_made, mut tasks_made) = (0u64, 0u64);
        let engine = Engine::new(options(&mut rng)).unwrap();
        held.keep_unused(seed % 2 == 0);
        for _ in 0..60 {
            for _ in 0..4 + rng.below(5) {
                let ids: Vec<String> = held.offers().map(|o| o.id.clone()).collect();
                held.push_offer(offer(&mut rng, &mut offers_made, &ids));
            }
            // A few from the middle leave (rescinds), one by id and some by slot.
            let n = held.offer_count();
            let middle: Vec<String> = held.offers().skip(n / 3).step_by(4).take(2).map(|o| o.id.clone()).collect();
            held.remove_offers(&middle);
            let slot = held.positions(&[held.offers().nth(n / 2).map_or(String::new(), |o| o.id.clone())]);
            held.remove_at(&slot);
            for _ in 0..rng.below(4) {
                held.tasks_mut().push(task(&mut rng, &mut tasks_made));
            }
            let (used, launched) = check(&engine, &held, seed);
            held.remove_offers(&used);
            held.tasks_mut().retain(|t| !launched.iter().any(|(id, ..)| *id == t.id));
        }
        let req = held.clone().into_request();
        assert_eq!(req.offers.len(), held.offer_count());
        assert!(req.offers.iter().zip(held.offers()).all(|(a, b)| a.id == b.id));
    }
}

/// Runs a random session-like sequence and checks each batch.
fn run(seed: u64, steps: usize) {
    let mut rng = Rng::new(seed);
    let mut held = Held::new();
    let (mut offers_made, mut tasks_made) = (0u64, 0u64);
    let engine_opts: Vec<Options> = (0..3).map(|_| options(&mut rng)).collect();
    for _ in 0..steps {
        // Offers arrive.
        for _ in 0..rng.below(6) {
            let ids: Vec<String> = held.offers().map(|o| o.id.clone()).collect();
            held.push_offer(offer(&mut rng, &mut offers_made, &ids));
        }
        // Some are rescinded or declined.
        if rng.chance(30) && held.offer_count() > 0 {
            let n = held.offer_count() as u64;
            let gone = rng.below(n) as usize;
            let also = rng.below(n) as usize;
            held.retain_offers(|i, _| i != gone && i != also);
        }
        if rng.chance(8) {
            // Many at once (they leave in one pass).
            held.retain_offers(|i, _| i % 3 != 1);
        }
        if rng.chance(3) {
            held.clear_offers();
        }
        // A submit.
        for _ in 0..rng.below(5) {
            held.tasks_mut().push(task(&mut rng, &mut tasks_made));
        }
        let engine = Engine::new(rng.pick(&engine_opts).clone()).unwrap();
        // Now and then the caller keeps its unused offers (as the session does): the plan is
        // `place`'s less its `Unused` declines.
        held.keep_unused(rng.chance(40));
        let (used, launched) = check(&engine, &held, seed);
        // The used offers leave; launched tasks run (counted by constraints); the rest wait.
        if rng.chance(50) {
            held.retain_offers(|_, o| !used.contains(&o.id));
        } else {
            let gone = held.remove_offers(&used);
            assert!(gone.iter().all(|o| used.contains(&o.id)));
        }
        for (id, agent, host) in launched {
            let Some(at) = held.tasks().iter().position(|t| t.id == id) else { continue };
            let t = held.tasks_mut().remove(at);
            held.running_mut().push(RunningTask {
                id,
                group: t.group_name().to_owned(),
                hostname: host,
                agent_id: Some(agent),
                attributes: offerfit::parse_attributes("rack:r1").unwrap(),
                region: None,
                zone: None,
            });
        }
        if rng.chance(20) {
            held.tasks_mut().clear();
        }
        if rng.chance(10) {
            held.running_mut().clear();
        }
    }
    // The request given back is the one placed.
    let req: PlaceRequest = held.clone().into_request();
    assert_eq!(req.offers.len(), held.offer_count());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn place_held_equals_place(seed in any::<u64>(), steps in 1usize..24) {
        run(seed, steps);
    }
}

#[test]
fn a_held_request_built_at_once_answers_as_place() {
    let mut rng = Rng::new(7);
    let (mut o, mut t) = (0, 0);
    let offers: Vec<Offer> = (0..40).map(|_| offer(&mut rng, &mut o, &[])).collect();
    let tasks: Vec<TaskRequest> = (0..30).map(|_| task(&mut rng, &mut t)).collect();
    let req = PlaceRequest { offers, tasks, running: vec![] };
    let engine = Engine::new(Options { now: Some(2.0), ..Options::default() }).unwrap();
    let held = Held::from(req.clone());
    let fresh = format!("{:?}", engine.place(&req));
    // Twice: the second batch reads the kinds the first one learnt.
    assert_eq!(format!("{:?}", engine.place_held(&held)), fresh);
    assert_eq!(format!("{:?}", engine.place_held(&held)), fresh);
}

#[test]
fn many_batches_on_mostly_the_same_offers() {
    for seed in 0..16 {
        run(seed, 60);
    }
}

#[test]
fn a_caller_that_keeps_unused_offers_gets_place_less_its_unused_declines() {
    // Every profile (mesos-actor and marathon write their declines apart) and with calls:
    // the plan is `place`'s less its `Unused` declines, and the `DECLINE` call names only the
    // offers declined for maintenance.
    for (seed, profile) in [(3, Profile::Offerfit), (4, Profile::Marathon), (5, Profile::MesosActor)] {
        let mut rng = Rng::new(seed);
        let (mut o, mut t) = (0, 0);
        let offers: Vec<Offer> = (0..40).map(|_| offer(&mut rng, &mut o, &[])).collect();
        let tasks: Vec<TaskRequest> = (0..12).map(|_| task(&mut rng, &mut t)).collect();
        let req = PlaceRequest { offers, tasks, running: vec![] };
        let opts = Options { now: Some(2.0), profile, framework_id: Some("fw".into()), ..Options::default() };
        let engine = Engine::new(opts).unwrap();
        let mut held = Held::from(req.clone());
        held.keep_unused(true);
        let fresh = engine.place(&req).unwrap();
        let kept = engine.place_held(&held).unwrap();
        assert!(fresh.decline.iter().any(|d| d.reason == DeclineReason::Unused), "{profile:?}");
        let maintenance: Vec<_> = fresh.decline.iter().filter(|d| d.reason == DeclineReason::Maintenance).collect();
        assert_eq!(kept.decline.iter().collect::<Vec<_>>(), maintenance, "{profile:?}");
        assert_eq!(format!("{:?}", kept.accept), format!("{:?}", fresh.accept));
        assert_eq!(format!("{:?}", kept.unplaced), format!("{:?}", fresh.unplaced));
        let (fresh_calls, kept_calls) = (fresh.calls_json().unwrap(), kept.calls_json().unwrap());
        let declined = |calls: &[serde_json::Value]| -> Vec<String> {
            calls
                .iter()
                .filter(|c| c["type"] == "DECLINE")
                .flat_map(|c| c["decline"]["offer_ids"].as_array().cloned().unwrap_or_default())
                .map(|v| v["value"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        let expected: Vec<String> = maintenance.iter().map(|d| d.offer_id.to_owned()).collect();
        assert_eq!(declined(&kept_calls), expected, "{profile:?}");
        let accepts =
            |calls: &[serde_json::Value]| calls.iter().filter(|c| c["type"] == "ACCEPT").cloned().collect::<Vec<_>>();
        assert_eq!(accepts(&kept_calls), accepts(&fresh_calls), "{profile:?}");
        // Switched off again: `place`'s plan byte for byte.
        held.keep_unused(false);
        assert_eq!(format!("{:?}", engine.place_held(&held)), format!("{:?}", engine.place(&req)));
    }
}

/// An offer of `agent` (alike agents: ties decide), `cpus` cpus.
fn plain(id: &str, agent: usize, cpus: u64) -> Offer {
    let mut o = Offer::new(id, format!("S{agent}"), format!("host-{agent}"));
    o.resources = offerfit::parse_resources(&format!("cpus:{cpus};mem:4096;ports:[31000-31009]"), "*").unwrap();
    o.attributes = offerfit::parse_attributes(&format!("rack:r{}", agent % 2)).unwrap();
    o
}

/// Agents alike (ties broken by their order: the order of each agent's first live offer)
/// whose last offer is used and whose remainder arrives later, at the end, so they move
/// behind the others; two agents that swap places; an agent with a second offer whose first
/// leaves (its place is its second offer's). Every batch equals `place`, under every
/// strategy and tie break, held unused offers kept or not.
#[test]
fn agents_that_move_to_the_end_or_swap_places() {
    for (k, strategy) in [Strategy::Binpack, Strategy::Spread, Strategy::FirstFit].into_iter().enumerate() {
        for tie_break in [TieBreak::Request, TieBreak::AgentId] {
            let engine = Engine::new(Options { strategy, tie_break, now: Some(2.0), ..Options::default() }).unwrap();
            let mut held = Held::new();
            held.keep_unused(k % 2 == 0);
            let mut serial = 0;
            let mut next = |agent: usize, cpus: u64| {
                serial += 1;
                plain(&format!("O{serial}"), agent, cpus)
            };
            for a in 0..6 {
                held.push_offer(next(a, 8));
            }
            let mut tasks_made = 0;
            for round in 0..24 {
                tasks_made += 1;
                let mut t = TaskRequest::new(format!("t{tasks_made}"));
                t.cpus = Scalar::from_units(1 + (round % 3) as i64);
                t.mem = Scalar::from_units(256);
                if round % 4 == 1 {
                    t.constraints = vec![ConstraintSpec::text("rack GROUP_BY")];
                    t.group = Some("/g".into());
                }
                if round % 5 == 2 {
                    t.ports = vec![0];
                }
                held.tasks_mut().push(t);
                let (used, launched) = check(&engine, &held, round);
                // The used offers leave; each agent's remainder comes back later (at the end).
                let gone = held.remove_offers(&used);
                held.tasks_mut().retain(|t| !launched.iter().any(|(id, ..)| *id == t.id));
                check(&engine, &held, round);
                for o in gone {
                    let agent: usize = o.agent_id.trim_start_matches('S').parse().unwrap();
                    held.push_offer(next(agent, 8 - round % 3));
                }
                check(&engine, &held, round);
                if round % 6 == 3 {
                    // The first two agents swap places: both leave, the second comes back first.
                    let first: Vec<String> = held.offers().take(2).map(|o| o.id.clone()).collect();
                    let gone = held.remove_offers(&first);
                    check(&engine, &held, round);
                    for o in gone.iter().rev() {
                        let agent: usize = o.agent_id.trim_start_matches('S').parse().unwrap();
                        held.push_offer(next(agent, 8));
                    }
                    check(&engine, &held, round);
                }
                if round % 6 == 5 {
                    // An agent gets a second offer, then its first leaves: it is placed by the
                    // second offer's arrival now.
                    let first = held.offers().next().map(|o| (o.id.clone(), o.agent_id.clone())).unwrap();
                    let agent: usize = first.1.trim_start_matches('S').parse().unwrap();
                    held.push_offer(next(agent, 2));
                    check(&engine, &held, round);
                    held.remove_offers(&[first.0]);
                    check(&engine, &held, round);
                }
            }
        }
    }
}
