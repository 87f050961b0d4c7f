//! The task table's side of the session: status updates (acknowledged once per delivery,
//! rule 5), what a state means for the task (counted, back to pending, forgotten: rules 6
//! and 8) and the queue's bookkeeping.

use super::*;

impl Session {
    pub(super) fn update(&mut self, s: TaskStatus, out: &mut Actions) {
        // Rule 5: every delivery with a uuid is acknowledged, known task or not; a uuid a
        // master would refuse in the ACKNOWLEDGE (not 16 bytes) gets an `error` notice instead.
        if let Some(uuid) = &s.uuid {
            let agent = s.agent_id.clone().or_else(|| self.tasks.get(&s.task_id).and_then(|e| e.agent_id.clone()));
            if !calls::is_uuid_base64(uuid) {
                let what = format!("the status update of task `{}`", s.task_id);
                out.notices.push(Notice::Error { message: calls::unacknowledged(&what, uuid) });
            } else if let Some(agent) = agent {
                out.calls.push(calls::acknowledge(self.fid(), &agent, &s.task_id, uuid));
            }
        }
        if let Some(r) = &mut self.round {
            r.waiting.remove(&s.task_id);
        }
        let notice = |terminal: bool, known: bool, s: &TaskStatus| Notice::TaskState {
            task_id: s.task_id.clone(),
            state: s.state,
            reason: s.reason.clone(),
            message: s.message.clone(),
            terminal,
            known,
        };
        let Some(entry) = self.tasks.get_mut(&s.task_id) else {
            out.notices.push(notice(!s.state.is_live(), false, &s));
            if s.state.is_live() && self.timers.kill_unknown_tasks {
                out.calls.push(calls::kill(self.fid(), &s.task_id, s.agent_id.as_deref()));
            }
            return;
        };
        if let Some(u) = &s.uuid {
            if entry.seen.contains(u) {
                return;
            }
            if entry.seen.len() == SEEN_UUIDS {
                entry.seen.pop_front();
            }
            entry.seen.push_back(u.clone());
        }
        // A task never changes agents: an update from another agent speaks of an earlier
        // launch of the same id (one the master refused, then placed again elsewhere).
        if entry.launched() && matches!((&s.agent_id, &entry.agent_id), (Some(a), Some(b)) if a != b) {
            return;
        }
        match entry.phase {
            Phase::Pending if s.state.is_live() => {
                // The master runs a task the session had queued (its store lost the launch):
                // never launch it again; count it where it runs when that agent is known.
                entry.phase = Phase::Live(s.state);
                entry.agent_id = s.agent_id.clone();
                let kill = entry.kill;
                self.unqueue(&s.task_id);
                if kill {
                    out.calls.push(calls::kill(self.fid(), &s.task_id, s.agent_id.as_deref()));
                }
                out.notices.push(notice(false, true, &s));
            }
            Phase::Pending => out.notices.push(notice(false, true, &s)),
            Phase::Launching | Phase::Live(_) if s.state.is_live() => {
                entry.phase = Phase::Live(s.state);
                if s.agent_id.is_some() {
                    entry.agent_id = s.agent_id.clone();
                }
                out.notices.push(notice(false, true, &s));
            }
            phase => {
                // Rules 6 and 8: a launch the master refused, or a launching task the master
                // says it does not have, goes back to pending without penalty; anything else
                // not live is the end of the task.
                let refused_launch = s.state == TaskState::Dropped
                    || (matches!(s.state, TaskState::Lost | TaskState::Error)
                        && s.reason.as_deref() == Some(REASON_INVALID_OFFERS));
                // An answer to a RECONCILE sent before this launch (in an earlier step, or
                // earlier in the same step's calls) speaks of the task before it was launched.
                let stale = phase == Phase::Launching
                    && s.uuid.is_none()
                    && s.reason.as_deref() == Some(REASON_RECONCILIATION)
                    && entry.launch_step > 0
                    && entry.launch_step >= entry.reconcile_step;
                if stale {
                    return;
                }
                let requeue = phase == Phase::Launching && !entry.kill && (refused_launch || s.state.not_there());
                // A restored launch refused by an update (not by a reconciliation answer) may be
                // hearing of an earlier launch of the same id, acknowledged by the session
                // that failed over and delivered again: only the master's answer now decides.
                if requeue && entry.launch_step == 0 && s.uuid.is_some() {
                    let ids = BTreeSet::from([s.task_id.clone()]);
                    out.calls.push(self.reconcile_call(&ids));
                    let first = backoff(self.timers.reconcile_backoff, 1);
                    let now = self.last_now.unwrap_or_default();
                    match &mut self.round {
                        Some(r) => {
                            r.waiting.insert(s.task_id.clone());
                        }
                        None => self.round = Some(Round { waiting: ids, retries: 0, retry_at: now + first }),
                    }
                    return;
                }
                if requeue {
                    self.requeue(&s.task_id);
                    out.notices.push(notice(false, true, &s));
                } else {
                    self.forget(&s.task_id);
                    out.notices.push(notice(true, true, &s));
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // The task table
    // -----------------------------------------------------------------------------------

    /// A pending task the master reports live leaves the queue (its request kept), and counts
    /// where it runs when an offer or another task shows that agent.
    pub(super) fn unqueue(&mut self, id: &str) {
        if let Some(i) = self.req.tasks().iter().position(|t| t.id == id) {
            let t = self.req.tasks_mut().remove(i);
            let agent = self.tasks.get(id).and_then(|e| e.agent_id.clone());
            let known = agent.as_deref().and_then(|a| {
                self.req
                    .offers()
                    .find(|o| o.agent_id == a)
                    .map(|o| (o.hostname.clone(), o.attributes.clone(), o.region.clone(), o.zone.clone()))
                    .or_else(|| {
                        self.req
                            .running()
                            .iter()
                            .find(|r| r.agent_id.as_deref() == Some(a))
                            .map(|r| (r.hostname.clone(), r.attributes.clone(), r.region.clone(), r.zone.clone()))
                    })
            });
            let counted = if let Some((hostname, attributes, region, zone)) = known {
                self.count(RunningTask {
                    id: id.to_owned(),
                    group: t.group_name().to_owned(),
                    hostname,
                    agent_id: agent,
                    attributes,
                    region,
                    zone,
                });
                true
            } else {
                false
            };
            if let Some(e) = self.tasks.get_mut(id) {
                e.request = Some(t);
                e.counted = counted;
            }
        }
        self.unplaced.remove(id);
        self.dirty = true;
    }

    /// Counts a launched task where it runs: at the end of the running list, indexed by id.
    pub(super) fn count(&mut self, r: RunningTask) {
        self.running_at.insert(r.id.clone(), self.req.running().len());
        self.req.running_mut().push(r);
    }

    /// Takes a task out of the running list (the last entry moves into its place), found
    /// through the index.
    pub(super) fn uncount(&mut self, id: &str) {
        debug_assert_eq!(
            self.running_at.get(id).copied(),
            self.req.running().iter().position(|r| r.id == id),
            "the running index is out of step with the running list"
        );
        let Some(i) = self.running_at.remove(id) else { return };
        let running = self.req.running_mut();
        if i >= running.len() {
            return;
        }
        running.swap_remove(i);
        if let Some(moved) = running.get(i) {
            if let Some(at) = self.running_at.get_mut(moved.id.as_str()) {
                *at = i;
            }
        }
    }

    pub(super) fn requeue(&mut self, id: &str) {
        let Some(e) = self.tasks.get_mut(id) else { return };
        e.phase = Phase::Pending;
        e.agent_id = None;
        let counted = std::mem::replace(&mut e.counted, false);
        if let Some(t) = e.request.take() {
            self.req.tasks_mut().push(t);
        }
        if counted {
            self.uncount(id);
        }
        self.unplaced.remove(id);
        self.new_work = true;
        self.dirty = true;
    }

    pub(super) fn forget(&mut self, id: &str) {
        let Some(e) = self.tasks.remove(id) else { return };
        if e.counted {
            self.uncount(id);
        }
        if e.phase == Phase::Pending {
            if let Some(i) = self.req.tasks().iter().position(|t| t.id == id) {
                self.req.tasks_mut().remove(i);
            }
        }
        self.unplaced.remove(id);
        self.dirty = true;
    }

    // -----------------------------------------------------------------------------------
    // Timers and scheduling
    // -----------------------------------------------------------------------------------
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(s: &mut Session, task: &str) {
        let line = format!(
            r#"{{"now": 2, "event": {{"type": "UPDATE", "update": {{"status": {{"task_id": {{"value": "{task}"}}, "state": "TASK_FINISHED", "agent_id": {{"value": "S1"}}}}}}}}}}"#
        );
        let out: Json = serde_json::from_str(&s.step_json(&line)).unwrap();
        assert_eq!(out["notices"][0]["terminal"], true, "{out}");
    }

    /// The running list's ids, and that the index names each one's place.
    fn running(s: &Session) -> Vec<&str> {
        for (i, r) in s.req.running().iter().enumerate() {
            assert_eq!(s.running_at.get(&r.id), Some(&i), "{}", r.id);
        }
        assert_eq!(s.running_at.len(), s.req.running().len());
        s.req.running().iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn the_running_index_follows_the_running_list() {
        let task = |id: &str| {
            format!(r#"{{"id": "{id}", "cpus": 1, "state": "TASK_RUNNING", "agent_id": "S1", "hostname": "h"}}"#)
        };
        let config = format!(
            r#"{{"framework": {{"name": "f", "id": "F1"}}, "tasks": [{}, {}, {}, {}]}}"#,
            task("a"),
            task("b"),
            task("c"),
            task("d")
        );
        let mut s = Session::from_json(&config).unwrap();
        assert_eq!(running(&s), ["a", "b", "c", "d"]);
        s.step_json(r#"{"now": 0, "connect": {}}"#);
        s.step_json(r#"{"now": 1, "event": {"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "F1"}}}}"#);
        // A task leaves as `swap_remove` takes it: the last one moves into its place.
        finished(&mut s, "b");
        assert_eq!(running(&s), ["a", "d", "c"]);
        finished(&mut s, "c");
        assert_eq!(running(&s), ["a", "d"]);
        finished(&mut s, "a");
        assert_eq!(running(&s), ["d"]);
        finished(&mut s, "d");
        assert!(running(&s).is_empty());
    }
}
