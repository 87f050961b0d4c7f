//! A deliberately naive reference matcher, written straight from SEMANTICS.md (§1.5 operator
//! semantics, §2.2 scalars, §2.3 ports, §2.5 GPUs) with no pooling, interning, caching or
//! clever range arithmetic: ports are expanded into sets, regexes are compiled on every call.
//! `diff_reference` checks the engine against it on small inputs.

use std::collections::BTreeSet;

use crate::scenario::{pattern, Agent, ConstraintSpec, FieldSpec, Offer, Running, Task};

/// Java `String.matches`: the whole value matches the pattern.
pub fn whole_match(pattern: &str, value: &str) -> bool {
    match regex::Regex::new(&format!("^(?:{pattern})$")) {
        Ok(re) => re.is_match(value),
        Err(_) => false,
    }
}

/// Does the constraint hold for a candidate whose field value is `v`, given the field values
/// of the group's placed instances `placed` (in placement order)?
pub fn constraint_holds(c: ConstraintSpec, v: Option<&str>, placed: &[Option<&str>]) -> bool {
    // Missing field rule: only UNLIKE is satisfied by an absent value.
    let Some(v) = v else { return matches!(c, ConstraintSpec::Unlike(..)) };
    match c {
        ConstraintSpec::Like(_, p) => whole_match(pattern(p), v),
        ConstraintSpec::Unlike(_, p) => !whole_match(pattern(p), v),
        ConstraintSpec::Unique(_) => placed.iter().all(|p| *p != Some(v)),
        ConstraintSpec::ClusterValue(..) | ConstraintSpec::Is(..) => {
            // The text form is `field OP value`; take the value back from it so the reference
            // does not depend on how the scenario spells values.
            let text = c.text();
            let value = text.rsplit(' ').next().unwrap_or("");
            v == value
        }
        ConstraintSpec::ClusterEmpty(_) => match placed.first() {
            None => true,
            Some(first) => *first == Some(v),
        },
        ConstraintSpec::MaxPer(_, n) => {
            let count = placed.iter().filter(|p| **p == Some(v)).count();
            count < crate::scenario::max_per(n) as usize
        }
    }
}

/// The field values of the running tasks of `group`, in order.
pub fn placed_values<'a>(running: &'a [Running], group: &str, field: FieldSpec) -> Vec<Option<&'a str>> {
    running.iter().filter(|r| r.group == group).map(|r| r.field(field)).collect()
}

/// Why a task does not fit, in the order the checks run; `None` when it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misfit {
    /// The agent offers nothing the task's roles may use (Marathon's `UnfulfilledRole`):
    /// here, all its resources are zero (Mesos drops empty resources).
    Role,
    /// A hard constraint fails.
    Constraint,
    /// The agent has GPUs and the task needs none (`gpu_scheduling: restricted`).
    ScarceResources,
    /// Not enough CPUs.
    Cpus,
    /// Not enough memory.
    Mem,
    /// Not enough disk.
    Disk,
    /// Not enough GPUs.
    Gpus,
    /// A fixed port is not offered, or too few ports are left for the dynamic ones.
    Ports,
}

/// Can `task` run on `agent` using all of `offers` (that agent's offers), with `running`
/// the tasks already placed?
pub fn fit(agent: &Agent, offers: &[&Offer], task: &Task, running: &[Running]) -> Result<(), Misfit> {
    let nothing = offers.iter().all(|o| o.cpus == 0 && o.mem == 0 && o.disk == 0 && o.gpus == 0 && o.ports.is_empty());
    if nothing {
        return Err(Misfit::Role);
    }
    for c in &task.constraints {
        let placed = placed_values(running, &task.group, c.field());
        if !constraint_holds(*c, agent.field(c.field()), &placed) {
            return Err(Misfit::Constraint);
        }
    }
    let sum = |f: fn(&Offer) -> i64| offers.iter().map(|o| f(o)).sum::<i64>();
    let gpus = sum(|o| o.gpus);
    if gpus > 0 && task.gpus == 0 {
        return Err(Misfit::ScarceResources);
    }
    if sum(|o| o.cpus) < task.cpus {
        return Err(Misfit::Cpus);
    }
    if sum(|o| o.mem) < task.mem {
        return Err(Misfit::Mem);
    }
    if sum(|o| o.disk) < task.disk {
        return Err(Misfit::Disk);
    }
    if gpus < task.gpus {
        return Err(Misfit::Gpus);
    }
    let mut free: BTreeSet<u64> = BTreeSet::new();
    for o in offers {
        for &(b, e) in &o.ports {
            free.extend(b..=e);
        }
    }
    let fixed: Vec<u64> = task.ports.iter().copied().filter(|p| *p != 0).collect();
    for p in &fixed {
        if !free.remove(p) {
            return Err(Misfit::Ports);
        }
    }
    let dynamic = task.ports.iter().filter(|p| **p == 0).count();
    if free.len() < dynamic {
        return Err(Misfit::Ports);
    }
    Ok(())
}

/// The contract's reason code for a misfit.
pub fn reason_code(m: Misfit) -> &'static str {
    match m {
        Misfit::Role => "role",
        Misfit::Constraint => "constraint",
        Misfit::ScarceResources => "scarce_resources",
        Misfit::Cpus => "insufficient_cpus",
        Misfit::Mem => "insufficient_mem",
        Misfit::Disk => "insufficient_disk",
        Misfit::Gpus => "insufficient_gpus",
        Misfit::Ports => "insufficient_ports",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_follow_the_semantics_table() {
        use ConstraintSpec as C;
        use FieldSpec::Rack;
        assert!(constraint_holds(C::Like(Rack, 1), Some("r2"), &[]));
        assert!(!constraint_holds(C::Like(Rack, 1), Some("r3"), &[]));
        assert!(!constraint_holds(C::Like(Rack, 1), None, &[]));
        assert!(constraint_holds(C::Unlike(Rack, 1), None, &[]));
        assert!(!constraint_holds(C::Unique(Rack), Some("r1"), &[None, Some("r1")]));
        assert!(constraint_holds(C::Unique(Rack), Some("r1"), &[None, Some("r2")]));
        assert!(!constraint_holds(C::Unique(Rack), None, &[]));
        assert!(constraint_holds(C::ClusterEmpty(Rack), Some("r1"), &[Some("r1"), Some("r2")]));
        assert!(!constraint_holds(C::ClusterEmpty(Rack), Some("r2"), &[Some("r1"), Some("r2")]));
        assert!(constraint_holds(C::ClusterValue(Rack, 4), Some("r1"), &[]));
        assert!(constraint_holds(C::MaxPer(Rack, 1), Some("r1"), &[Some("r1")]));
        assert!(!constraint_holds(C::MaxPer(Rack, 0), Some("r1"), &[Some("r1")]));
    }
}
