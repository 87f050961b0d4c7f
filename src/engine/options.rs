//! What the engine is asked to do, and the same resolved for the rooms below the facade:
//! [`Profile`], [`Strategy`], [`PortSelection`], [`Options`]; [`Resolved`] (the profile's
//! defaults filled in, numbers in the engine's units), [`WEIGHT_ONE`], [`validate_role`].
//! Every room imports these from here, never from the facade ([`super`]), so the engine's
//! files import one way.

use std::collections::BTreeMap;

use super::request::PlaceError;
use crate::limits::Limits;
use crate::model::GpuScheduling;

/// Which system's matching rules to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// offerfit's own placement: agents pooled, best score wins.
    #[default]
    Offerfit,
    /// Marathon's `ResourceMatcher` rules and reason funnel.
    Marathon,
    /// mesos-actor's `DefaultTaskMatcher` (OpenWhisk's Mesos container factory).
    MesosActor,
}

impl Profile {
    /// `offerfit`, `marathon` or `mesos-actor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Offerfit => "offerfit",
            Profile::Marathon => "marathon",
            Profile::MesosActor => "mesos-actor",
        }
    }
}

/// How agents are ranked for a task.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Strategy {
    /// Fill agents up: the agent left fullest by the task wins (default).
    #[default]
    Binpack,
    /// Keep agents even: the agent left emptiest wins.
    Spread,
    /// The first feasible agent in request order wins.
    FirstFit,
    /// A weighted sum of the binpack and spread scores (weights ≥ 0, not both 0).
    Weighted {
        /// Weight of the binpack score.
        binpack: f64,
        /// Weight of the spread score.
        spread: f64,
    },
}

/// What the `offerfit` profile maximises when not every task can be placed (and what its
/// repair passes compare): see docs/placement.md, *Objective and repair*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Objective {
    /// The number of tasks placed (default); ties go to the placed share of resources.
    #[default]
    Tasks,
    /// The placed share of the offered resources: the mean, over cpus and mem, of what the
    /// placed tasks ask for divided by what the agents offer; ties go to the task count.
    Resources,
}

impl Objective {
    /// `tasks` or `resources`.
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Tasks => "tasks",
            Objective::Resources => "resources",
        }
    }
}

/// How dynamic host ports are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortSelection {
    /// The lowest free ports, scanning the offered ranges in order.
    Lowest,
    /// A seeded random start in the free ports, then consecutive ports (Marathon's way).
    Random,
}

/// How ties between agents are broken, and so what the plan's order depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TieBreak {
    /// Request order: among equal agents the one whose first offer comes first wins, and
    /// agents, offers and declines keep the request's order (default).
    #[default]
    Request,
    /// Agent id order: agents are taken as if sorted by agent id (then allocation role, then
    /// offer id), an agent's offers by offer id, and declines follow that order, so the plan
    /// does not depend on the order of offers or of running tasks in the request (replicas
    /// of a scheduler that see the same offers decide the same).
    AgentId,
}

/// Engine options. Build with struct update syntax over [`Options::default`]; checked once by
/// [`Engine::new`](crate::Engine::new).
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Ranking of agents.
    pub strategy: Strategy,
    /// Matching rules.
    pub profile: Profile,
    /// The framework's roles; the first is a task's default role.
    pub roles: Vec<String>,
    /// Decline filter in seconds; `None` = the profile's default (5, Marathon 120).
    pub refuse_seconds: Option<f64>,
    /// Dynamic port choice; `None` = the profile's default (lowest, Marathon random).
    pub port_selection: Option<PortSelection>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Ports never to hand out, per hostname.
    pub port_blacklist: BTreeMap<String, Vec<u64>>,
    /// GPU agents kept for GPU tasks (`Restricted`, default) or not.
    pub gpu_scheduling: GpuScheduling,
    /// When set, [`Plan::calls`](crate::Plan::calls) holds the Mesos v1 calls to send.
    pub framework_id: Option<String>,
    /// The principal used for RESERVE / CREATE of persistent volumes.
    pub principal: Option<String>,
    /// Explain unplaced tasks (reasons and nearest fit). Default true.
    pub explain: bool,
    /// The current time in Unix seconds (the core has no clock); enables maintenance checks.
    pub now: Option<f64>,
    /// Offers whose agent's unavailability starts within this many seconds of `now` are
    /// declined (`maintenance`).
    pub drain_seconds: f64,
    /// Offers from another region are used only by tasks whose constraints name `@region`
    /// or `@zone`.
    pub local_region: Option<String>,
    /// Input size bounds.
    pub limits: Limits,
    /// How ties between agents are broken ([`TieBreak::Request`] by default).
    pub tie_break: TieBreak,
    /// The openwhisk dialect's constraint delimiter for tasks that give none (OpenWhisk's
    /// `constraint-delimiter`; default `" "`).
    pub delimiter: Option<String>,
    /// What to maximise when not every task fits ([`Objective::Tasks`] by default). Read by
    /// the `offerfit` profile's repair passes; reported in [`Stats`](crate::Stats) by every
    /// profile.
    pub objective: Objective,
    /// The most tasks (or gangs) the `marathon` profile launches on one offer (Marathon's
    /// `--max_instances_per_offer`, default 5); at least 1. Read by that profile only.
    pub max_instances_per_offer: u32,
}

/// Marathon's `--max_instances_per_offer` default (`OfferMatcherManagerConfig`, Marathon 1.10).
pub(crate) const MAX_INSTANCES_PER_OFFER: u32 = 5;

impl Default for Options {
    fn default() -> Options {
        Options {
            strategy: Strategy::Binpack,
            profile: Profile::Offerfit,
            roles: Vec::new(),
            refuse_seconds: None,
            port_selection: None,
            seed: 0,
            port_blacklist: BTreeMap::new(),
            gpu_scheduling: GpuScheduling::Restricted,
            framework_id: None,
            principal: None,
            explain: true,
            now: None,
            drain_seconds: 0.0,
            local_region: None,
            limits: Limits::default(),
            tie_break: TieBreak::Request,
            delimiter: None,
            objective: Objective::Tasks,
            max_instances_per_offer: MAX_INSTANCES_PER_OFFER,
        }
    }
}

/// Options with the profile's defaults filled in and numbers in the engine's units.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub profile: Profile,
    /// Score weights in the engine's fixed point; both zero = first fit.
    pub w_binpack: i64,
    pub w_spread: i64,
    pub refuse_seconds: f64,
    pub port_selection: PortSelection,
    pub seed: u64,
    pub gpu_restricted: bool,
    /// `now - ...` window in nanoseconds: `(now, now + drain)`.
    pub maintenance: Option<(i128, i128)>,
    pub explain: bool,
    pub objective: Objective,
    /// Scarcity order, balanced scores and repair passes (docs/placement.md): the `offerfit`
    /// profile under a scoring strategy (not `first_fit`, which reproduces first-fit).
    pub quality: bool,
    /// Tests only: how the agents are grouped into classes. The class is an optimisation,
    /// never a semantic: every grouping gives the same answer (`engine::grouping_tests`).
    #[cfg(test)]
    pub grouping: Grouping,
}

/// Tests only: how [`super::classes::group_agents`] groups the agents into classes.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Grouping {
    /// By what the batch can tell apart (`shapes::Sight`): the engine's grouping.
    #[default]
    Normal,
    /// By everything the offers hold (every attribute, every resource, ports by number).
    Exact,
    /// One agent per class.
    Single,
}

impl Resolved {
    /// Checks `options` and resolves them (the checks and errors of `Engine::new`).
    pub(super) fn new(options: &Options) -> Result<Resolved, PlaceError> {
        options.limits.validate().map_err(|e| PlaceError::new("/options/limits", e))?;
        let (w_binpack, w_spread) = match options.strategy {
            Strategy::Binpack => (WEIGHT_ONE, 0),
            Strategy::Spread => (0, WEIGHT_ONE),
            Strategy::FirstFit => (0, 0),
            Strategy::Weighted { binpack, spread } => {
                for (name, w) in [("binpack", binpack), ("spread", spread)] {
                    check_number("/options/strategy", w, 0.0, 1e6).map_err(|e| PlaceError {
                        error: e.error.with_help(format!("the `{name}` weight must be from 0 to 1000000")),
                        ..e
                    })?;
                }
                if binpack == 0.0 && spread == 0.0 {
                    return Err(PlaceError::invalid(
                        "/options/strategy",
                        "options.invalid",
                        "expected at least one positive weight, found `binpack` and `spread` both 0",
                    ));
                }
                ((binpack * WEIGHT_ONE as f64).round() as i64, (spread * WEIGHT_ONE as f64).round() as i64)
            }
        };
        for (i, role) in options.roles.iter().enumerate() {
            validate_role(role)
                .map_err(|m| PlaceError::invalid(format!("/options/roles/{i}"), "options.invalid", m))?;
        }
        let refuse_seconds = match options.refuse_seconds {
            Some(r) => {
                check_number("/options/refuse_seconds", r, 0.0, 31_536_000.0)?;
                r
            }
            None if options.profile == Profile::Marathon => 120.0,
            None => 5.0,
        };
        check_number("/options/drain_seconds", options.drain_seconds, 0.0, 1e12)?;
        if options.max_instances_per_offer == 0 {
            // Marathon would take such an offer to no matcher at all: nothing ever launches.
            return Err(PlaceError::invalid(
                "/options/max_instances_per_offer",
                "options.invalid",
                "expected at least 1 task per offer, found `0`",
            ));
        }
        if let Some(now) = options.now {
            check_number("/options/now", now, -1e12, 1e12)?;
        }
        for (host, ports) in &options.port_blacklist {
            if let Some(p) = ports.iter().find(|p| **p > 65_535) {
                return Err(PlaceError::invalid(
                    format!("/options/port_blacklist/{}", host.replace('~', "~0").replace('/', "~1")),
                    "options.invalid",
                    format!("expected a port from 0 to 65535, found `{p}`"),
                ));
            }
        }
        let port_selection = options.port_selection.unwrap_or(match options.profile {
            Profile::Marathon => PortSelection::Random,
            Profile::Offerfit | Profile::MesosActor => PortSelection::Lowest,
        });
        let maintenance = options.now.map(|now| {
            let now_ns = (now * 1e9).round() as i128;
            let drain_ns = (options.drain_seconds * 1e9).round() as i128;
            (now_ns, now_ns + drain_ns)
        });
        Ok(Resolved {
            profile: options.profile,
            w_binpack,
            w_spread,
            refuse_seconds,
            port_selection,
            seed: options.seed,
            gpu_restricted: options.gpu_scheduling == GpuScheduling::Restricted,
            maintenance,
            explain: options.explain,
            objective: options.objective,
            quality: options.profile == Profile::Offerfit && (w_binpack != 0 || w_spread != 0),
            #[cfg(test)]
            grouping: Grouping::Normal,
        })
    }
}

fn check_number(path: &str, v: f64, min: f64, max: f64) -> Result<(), PlaceError> {
    if !v.is_finite() || v < min || v > max {
        return Err(PlaceError::invalid(
            path,
            "options.invalid",
            format!("expected a number from {min} to {max}, found `{v}`"),
        ));
    }
    Ok(())
}

/// Score weights are held in millionths.
pub(crate) const WEIGHT_ONE: i64 = 1_000_000;

/// Mesos role names (`roles::validate`): not empty, not `.` or `..` as a component, no
/// component starting with `-`, no whitespace, not starting or ending with `/`, no `//`;
/// `*` alone is the unreserved role.
pub(crate) fn validate_role(role: &str) -> Result<(), String> {
    if role == "*" {
        return Ok(());
    }
    let bad = role.is_empty()
        || role.starts_with('/')
        || role.ends_with('/')
        || role.contains("//")
        || role.chars().any(|c| c.is_whitespace() || c == '\u{8}' || c == '\u{7f}')
        || role.split('/').any(|c| c == "." || c == ".." || c == "*" || c.starts_with('-'));
    if bad {
        Err(format!("expected a Mesos role name such as `web` or `eng/web`, found `{role}`"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_validated() {
        for ok in ["*", "web", "eng/web", "a.b"] {
            assert!(validate_role(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/a", "a/", "a//b", "a/./b", "-a", "a b", "a/*"] {
            assert!(validate_role(bad).is_err(), "{bad}");
        }
    }
}
