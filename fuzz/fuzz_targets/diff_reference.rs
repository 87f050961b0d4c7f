//! The engine against the naive reference matcher (`offerfit_fuzz::reference`) on one agent
//! (one or two offers), running tasks, and each task alone: the task is placed exactly when
//! the reference says it fits, and when it is not, the engine's first reason is the
//! reference's. The `check_constraints` op agrees with the reference on every constraint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offerfit_fuzz::reference;
use offerfit_fuzz::scenario::Scenario;
use serde_json::{json, Value as Json};

fuzz_target!(|s: Scenario| {
    // Three tasks at most: each is placed alone, so more only slows the target down.
    let built = s.build(1, 3);
    let agent = &built.agents[0];
    let offers: Vec<_> = built.offers.iter().collect();
    for (i, task) in built.tasks.iter().enumerate() {
        // One task at a time: the reference has no ordering or scoring to agree on.
        let mut one = built.clone();
        one.tasks = vec![task.clone()];
        one.request["tasks"] = json!([built.request["tasks"][i].clone()]);
        let request = one.request.to_string();
        let out = offerfit::call(&request);
        let placed = offerfit_fuzz::check_plan(&one, &out);
        let expected = reference::fit(agent, &offers, task, &built.running);
        match expected {
            Ok(()) => assert!(
                placed.contains_key(&task.id),
                "reference fits, engine did not place\nrequest: {request}\nresponse: {out}"
            ),
            Err(why) => {
                assert!(
                    !placed.contains_key(&task.id),
                    "reference says {why:?}, engine placed\nrequest: {request}\nresponse: {out}"
                );
                let v: Json = serde_json::from_str(&out).unwrap_or(Json::Null);
                let codes: Vec<&str> = v["unplaced"][0]["reasons"]
                    .as_array()
                    .map(|l| l.iter().filter_map(|r| r["code"].as_str()).collect())
                    .unwrap_or_default();
                let want = reference::reason_code(why);
                assert!(codes.contains(&want), "reasons {codes:?} lack `{want}`\nrequest: {request}\nresponse: {out}");
            }
        }
        // The constraint evaluator alone, through `check_constraints`.
        for c in &task.constraints {
            let placed: Vec<Json> = built
                .running
                .iter()
                .filter(|r| r.group == task.group)
                .map(|r| json!({"id": r.id, "group": r.group, "hostname": r.hostname, "attributes": one.request["running"].as_array().and_then(|l| l.iter().find(|x| x["id"] == r.id.as_str())).map_or(Json::Null, |x| x["attributes"].clone())}))
                .collect();
            let req = json!({
                "op": "check_constraints",
                "constraints": [c.text()],
                "candidate": {"hostname": agent.hostname, "attributes": one.request["offers"][0]["attributes"].clone()},
                "placed": placed,
            })
            .to_string();
            let out = offerfit::call(&req);
            let v = offerfit_fuzz::check_response(&out);
            let values = reference::placed_values(&built.running, &task.group, c.field());
            let want = reference::constraint_holds(*c, agent.field(c.field()), &values);
            assert_eq!(
                v["satisfied"],
                Json::Bool(want),
                "check_constraints disagrees on `{}`\nrequest: {req}\nresponse: {out}",
                c.text()
            );
        }
    }
});
