"""The Lab: learners' questions answered by seeded experiments whose numbers decide a verdict.

    glasstorch lab list [--topic T]
    glasstorch lab run ID... | --topic T | --all  [--quick] [--seeds N] [--framework torch] [--out DIR]
    glasstorch lab report [--out DIR]          -> DIR/index.html (default runs/lab)

Layout
    catalog.py   @experiment decorator, the registry, TOPICS (number -> module, title)
    runner.py    Lab context (seeds, data, figure, timer, record) and run_experiment (JSON, PNG, txt)
    verdict.py   confirmed / refuted / depends, all_of, across, compare (the 2x-seed-spread rule)
    common.py    plain-PyTorch helpers shared by experiments (mlp, minibatches, fit, accuracy)
    data.py      the data that ships: MNIST subset, The Time Machine, scikit-learn's load_digits
    report.py    the static HTML report;  cli.py  the `lab` command
    t01_tensors.py ... one module per topic, one function per experiment

How to add an experiment
1. Pick its topic module (a new topic: add `N: ("tNN_name", "Title")` to catalog.TOPICS and create
   glasstorch/lab/tNN_name.py; every tNN_*.py is loaded, so a topic past ~450 lines continues in
   tNN_name_b.py; a topic module imports only `catalog`, `verdict`, `common`, `data`).
2. Write one function `def my_id(torch, lab):` decorated with
       @experiment(id="my-id", topic=N, question=..., claim=..., test=..., flag=..., plot=...)
   copying question/claim/test/flag from the catalogue (QUESTIONS.md). `test` is the decision
   rule on measured quantities, declared before anything runs.
3. In the body use only `torch` (the framework module: glasstorch or real torch, so the same code
   runs on both; `F = torch.nn.functional`) and `lab`:
       lab.quick / lab.seeds       small sizes in quick mode (<= 10 s; full <= 60 s on 2 cores);
                                   loop over lab.seeds for anything compared (>= 2 seeds)
       rng = lab.seed(s)           seeds torch/random/NumPy; use rng for data order and synthetic
                                   data so both frameworks see the same numbers
       lab.mnist(n_train, n_test, flat=True), lab.digits(), lab.timemachine(), lab.tensor(arr)
       lab.record(name=value, ...) every measured number goes into the JSON record
       fig, ax = lab.figure(1, 2)  the experiment's one figure (matplotlib, saved as <id>.png)
       lab.timeit(fn, number)      seconds per call (fastest of `number` calls)
4. Return a Verdict computed from the numbers: `all_of({"check with its numbers": bool, ...})`,
   `across({condition: bool})` (confirmed / refuted / depends naming the condition), or
   `confirmed/refuted/depends(...)` directly; for "A beats B" use `compare(name_a, per_seed_a,
   name_b, per_seed_b)`: a difference under twice the seed spread is "no measurable difference"
   (`.winner is None`), which counts against the claim that one option is better.
5. Verdicts must agree between glasstorch and torch in quick mode
   (tests/lab/test_lab_experiments.py runs both): design effects that are large compared with the
   seed spread, and never decide on a wall-clock ratio between frameworks.
6. Run `python -m glasstorch lab run my-id --quick` and without --quick (check both budgets in the
   printed seconds), then `glasstorch lab report` and look at the page.
"""
from .catalog import EXPERIMENTS, TOPICS, experiment, load, select
from .runner import Lab, run_experiment
from .verdict import Verdict, across, all_of, compare, confirmed, depends, refuted

__all__ = ["EXPERIMENTS", "TOPICS", "experiment", "load", "select", "Lab", "run_experiment",
           "Verdict", "across", "all_of", "compare", "confirmed", "depends", "refuted"]
