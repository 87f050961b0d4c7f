//! Structured random `place` requests (a few agents with one or two offers, a few tasks in two
//! groups with constraints, running tasks, strategies and port selection): the answer is
//! `ok:true`; every offer is answered exactly once and every task exactly once; nothing is
//! over-allocated (scalars per agent, no port twice, only offered ports); each task gets
//! exactly what it asked for; the group constraints hold; the same request gives the same
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offerfit_fuzz::scenario::{Scenario, MAX_AGENTS, MAX_TASKS};

fuzz_target!(|s: Scenario| {
    let built = s.build(MAX_AGENTS, MAX_TASKS);
    let request = built.request.to_string();
    let out = offerfit::call(&request);
    offerfit_fuzz::check_plan(&built, &out);
    assert_eq!(out, offerfit::call(&request), "place is not deterministic\nrequest: {request}");
});
