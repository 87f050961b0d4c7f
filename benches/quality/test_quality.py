"""Self-tests of the quality benchmark's tools (not of offerfit):

    python3 -m unittest benches/quality/test_quality.py           # any Python 3.9+
    target/quality-venv/bin/python -m unittest benches/quality/test_quality.py   # + the CP-SAT tests

The generator is deterministic and keeps its promises; the checker refuses broken answers; the
CP-SAT reference agrees with hand-counted optima. Tests that need the release CLI
($CARGO_TARGET_DIR or target, release/offerfit) or OR-Tools are skipped without them.
"""

import copy
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import solve  # noqa: E402  (OR-Tools before the rest, see run.py)
except ImportError:
    solve = None
import gen  # noqa: E402
import model  # noqa: E402

CLI = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(HERE, "..", "..", "target"), "release", "offerfit")


def planted_placement(inst, problem):
    placement = {}
    for gname, per_agent in inst["planted"].items():
        ids = [t["id"] for t in problem.groups[gname]["tasks"]]
        for aid, n in per_agent.items():
            for _ in range(n):
                placement[ids.pop()] = aid
    return placement


class Generator(unittest.TestCase):
    def test_deterministic_per_seed(self):
        for seed in (0, 1, 77):
            self.assertEqual(json.dumps(gen.instance(seed)), json.dumps(gen.instance(seed)))
        self.assertNotEqual(gen.instance(1)["request"], gen.instance(2)["request"])

    def test_ranges_and_planted_witness(self):
        kinds = set()
        for seed in range(40):
            inst = gen.instance(seed)
            kinds.add(inst["kind"])
            problem = model.Problem(inst["request"])
            self.assertTrue(5 <= len(problem.agents) <= 60, seed)
            self.assertTrue(10 <= len(problem.tasks) <= 300, seed)
            if inst["kind"] == "fit":
                placement = planted_placement(inst, problem)
                self.assertEqual(len(placement), len(problem.tasks), seed)
                self.assertEqual(model.check_placement(problem, placement), [], seed)
        self.assertEqual(kinds, {"fit", "over"})

    def test_constraints_used(self):
        texts = {c.split(" ")[1] for s in range(40) for t in gen.instance(s)["request"]["tasks"] for c in t.get("constraints", [])}
        self.assertEqual(texts, {"UNIQUE", "MAX_PER", "LIKE", "IS"})


class Checker(unittest.TestCase):
    """A hand-made request and answer, then broken one way at a time."""

    REQUEST = {
        "op": "place",
        "offers": [
            {"id": "O0", "agent_id": "S0", "hostname": "h0", "resources": "cpus:2;mem:1024;ports:[31000-31001]", "attributes": "rack:r1;zone:a"},
            {"id": "O1", "agent_id": "S1", "hostname": "h1", "resources": "cpus:2;mem:1024", "attributes": "rack:r1;zone:b"},
        ],
        "tasks": [
            {"id": "a", "group": "g", "cpus": 1, "mem": 512, "ports": [0], "constraints": ["hostname UNIQUE", "zone IS a"]},
            {"id": "b", "group": "g", "cpus": 1, "mem": 512, "constraints": ["hostname UNIQUE", "zone IS a"]},
        ],
    }

    @staticmethod
    def res(cpus, mem, ports=()):
        out = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
               {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}]
        for p in ports:
            out.append({"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": p, "end": p}]}})
        return out

    def answer(self):
        return {
            "ok": True,
            "accept": [{"agent_id": "S0", "hostname": "h0", "offer_ids": ["O0"],
                        "tasks": [{"task_id": "a", "resources": self.res(1, 512, [31000]), "ports": [31000]}]}],
            "decline": [{"offer_id": "O1"}],
            "unplaced": [{"task_id": "b"}],
        }

    def test_good_answer(self):
        placement, bad = model.check_answer(model.Problem(self.REQUEST), self.answer())
        self.assertEqual((placement, bad), ({"a": "S0"}, []))

    def test_broken_answers(self):
        problem = model.Problem(self.REQUEST)

        def broken(edit):
            ans = copy.deepcopy(self.answer())
            edit(ans)
            return model.check_answer(problem, ans)[1]

        def second_on_same_host(ans):
            ans["accept"][0]["tasks"].append({"task_id": "b", "resources": self.res(1, 512), "ports": []})
            ans["unplaced"] = []

        def on_wrong_zone(ans):
            ans["accept"][0]["agent_id"] = "S1"
            ans["accept"][0]["offer_ids"] = ["O1"]
            ans["decline"] = [{"offer_id": "O0"}]
            ans["accept"][0]["tasks"][0]["resources"] = self.res(1, 512)
            ans["accept"][0]["tasks"][0]["ports"] = []

        edits = {
            "too little cpus": lambda a: a["accept"][0]["tasks"][0]["resources"].__setitem__(0, self.res(0.5, 512)[0]),
            "port not offered": lambda a: (a["accept"][0]["tasks"][0].__setitem__("resources", self.res(1, 512, [30000])),
                                           a["accept"][0]["tasks"][0].__setitem__("ports", [30000])),
            "UNIQUE broken": second_on_same_host,
            "IS broken and port missing": on_wrong_zone,
            "offer twice": lambda a: a["decline"].append({"offer_id": "O0"}),
            "task lost": lambda a: a.__setitem__("unplaced", []),
            "not ok": lambda a: a.__setitem__("ok", False),
        }
        for name, edit in edits.items():
            self.assertNotEqual(broken(edit), [], name)

    def test_over_capacity_and_duplicate_port(self):
        req = copy.deepcopy(self.REQUEST)
        for t in req["tasks"]:
            t["constraints"] = []
            t["ports"] = [0]
        problem = model.Problem(req)
        ans = self.answer()
        ans["accept"][0]["tasks"].append({"task_id": "b", "resources": self.res(1.5, 512, [31000]), "ports": [31000]})
        ans["unplaced"] = []
        bad = model.check_answer(problem, ans)[1]
        self.assertTrue(any("port given twice" in b for b in bad), bad)
        self.assertTrue(any("takes cpus" in b for b in bad), bad)
        self.assertTrue(any("cpus 2.5 placed > 2.0 offered" in b for b in bad), bad)


@unittest.skipUnless(os.access(CLI, os.X_OK), f"no release CLI at {CLI}")
class OfferfitAnswers(unittest.TestCase):
    def test_answers_check_clean(self):
        for seed in range(6):
            inst = gen.instance(seed)
            p = subprocess.run([CLI, "call"], input=json.dumps(inst["request"]).encode(), capture_output=True, check=True)
            placement, bad = model.check_answer(model.Problem(inst["request"]), json.loads(p.stdout))
            self.assertEqual(bad, [], seed)
            self.assertGreater(len(placement), 0, seed)


@unittest.skipUnless(solve is not None, "OR-Tools not installed (benches/quality/run.sh makes the venv)")
class Reference(unittest.TestCase):
    def test_hand_counted_optima(self):
        req = copy.deepcopy(Checker.REQUEST)
        problem = model.Problem(req)
        # Both tasks want zone a and a host of their own: only h0 is in zone a.
        self.assertEqual(solve.solve(problem, "tasks", det_time=1)["placed"], 1)
        for t in req["tasks"]:
            t["constraints"] = ["hostname UNIQUE"]
        self.assertEqual(solve.solve(model.Problem(req), "tasks", det_time=1)["placed"], 2)
        # Bin packing: 3+1 and 3+1 cpus on two 4-cpu agents; the resources objective prefers
        # the two big tasks with one small over three small ones.
        req = {"op": "place", "offers": [
            {"id": f"O{i}", "agent_id": f"S{i}", "hostname": f"h{i}", "resources": "cpus:4;mem:4096", "attributes": "rack:r1"}
            for i in range(2)], "tasks": [
            {"id": "b0", "cpus": 3, "mem": 100}, {"id": "b1", "cpus": 3, "mem": 100},
            {"id": "s0", "cpus": 1, "mem": 100}, {"id": "s1", "cpus": 1, "mem": 100}, {"id": "s2", "cpus": 1, "mem": 100}]}
        r = solve.solve(model.Problem(req), "tasks", det_time=1)
        self.assertEqual((r["placed"], r["proven"]), (4, True))

    def test_planted_instances_are_solved_whole(self):
        for seed in range(6):
            inst = gen.instance(seed)
            if inst["kind"] != "fit":
                continue
            problem = model.Problem(inst["request"])
            r = solve.solve(problem, "tasks", det_time=2, hint=inst["planted"])
            self.assertEqual((r["placed"], r["proven"]), (len(problem.tasks), True), seed)


if __name__ == "__main__":
    unittest.main()
