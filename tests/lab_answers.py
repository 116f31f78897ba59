"""Typical answers to the Gaussian–Bernoulli RBM lab, wrong and right, for the tests that grade them.

The lab has five solution regions, in order: the bodies of ``forward``, ``p_x_given_z`` and
``p_z_given_x`` (the class), the model samples of ``train_rbm`` and the loop of ``run_chains``. An
answer replaces some of them (the others keep the instructor's solution) and says, for each task it
touches, what its check must say: ``None`` for a pass, or a phrase of the failure message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TASK_OF_REGION = {0: "forward", 1: "p_x_given_z", 2: "p_z_given_x", 3: "model_samples", 4: "gibbs_chains"}
LIBRARY = "calls the library's"  # what a student who calls the library instead of writing it is told
SHAPES = "torch could not combine the shapes"  # a missing transpose, a sum over the wrong axis


@dataclass(frozen=True)
class Answer:
    name: str
    regions: dict[int, str]
    expect: dict[str, str | None] = field(default_factory=dict)  # task -> None (passes) or part of the message

    def __post_init__(self) -> None:
        for region in self.regions:
            self.expect.setdefault(TASK_OF_REGION[region], None)


def _body(code: str, indent: int) -> str:
    return "".join(" " * indent + line + "\n" for line in code.strip("\n").splitlines())


def forward(code: str) -> dict[int, str]:
    return {0: _body(code, 8)}


def mean_of(code: str) -> dict[int, str]:
    return {1: _body(code, 8)}


def hidden(code: str) -> dict[int, str]:
    return {2: _body(code, 8)}


def samples(code: str) -> dict[int, str]:
    return {3: _body(code, 12)}


def chains(code: str) -> dict[int, str]:
    return {4: _body(code, 12)}


QUADRATIC = "((x - self.b) ** 2 / (2 * self.sigma2)).sum(-1)"
HIDDEN_LOGITS = "self.d + (x / self.sigma2) @ self.W"

WRONG = [
    Answer(
        "forward returns F, not -F",
        forward(f"return {QUADRATIC} - F.softplus({HIDDEN_LOGITS}).sum(-1)"),
        {"forward": "flip the sign"},
    ),
    Answer(
        "forward without dividing x by sigma2",
        forward(f"return F.softplus(self.d + x @ self.W).sum(-1) - {QUADRATIC}"),
        {"forward": "divided by sigma2"},
    ),
    Answer("forward calls the library's free energy", forward("return -self.free_energy(x)"), {"forward": LIBRARY}),
    Answer(
        "forward without the quadratic term",
        forward(f"return F.softplus({HIDDEN_LOGITS}).sum(-1)"),
        {"forward": "wrong values"},
    ),
    Answer(
        "forward sums the hidden units over the batch",
        forward(f"return F.softplus({HIDDEN_LOGITS}).sum(0) - {QUADRATIC}"),
        {"forward": SHAPES},
    ),
    Answer(
        "forward with sigma where sigma2 belongs",
        forward(f"return F.softplus({HIDDEN_LOGITS}).sum(-1) - ((x - self.b) ** 2 / (2 * self.sigma2.sqrt())).sum(-1)"),
        {"forward": "wrong values"},
    ),
    Answer("the mean of p(x | z) without b", mean_of("mean = z @ self.W.T"), {"p_x_given_z": "visible bias b"}),
    Answer(
        "the mean of p(x | z) without the transpose", mean_of("mean = self.b + z @ self.W"), {"p_x_given_z": SHAPES}
    ),
    Answer("p_x_given_z calls the library's", mean_of("mean = super().p_x_given_z(z)[0]"), {"p_x_given_z": LIBRARY}),
    Answer("p(z | x) as logits", hidden(f"return {HIDDEN_LOGITS}"), {"p_z_given_x": "logits, not probabilities"}),
    Answer(
        "p(z | x) without dividing x by sigma2",
        hidden("return torch.sigmoid(self.d + x @ self.W)"),
        {"p_z_given_x": "divided by sigma2"},
    ),
    Answer("p_z_given_x calls the library's", hidden("return super().p_z_given_x(x)"), {"p_z_given_x": LIBRARY}),
    Answer(
        "p(z | x) without the hidden bias",
        hidden("return torch.sigmoid((x / self.sigma2) @ self.W)"),
        {"p_z_given_x": "wrong values"},
    ),
    Answer(
        "CD with means instead of samples",
        samples("""
x = chains if persistent else train
for _ in range(k):
    z = machine.p_z_given_x(x)
    x, _ = machine.p_x_given_z(z)
model_samples = chains = x
"""),
        {"model_samples": "torch.bernoulli"},
    ),
    Answer(
        "CD with the variance as the standard deviation",
        samples("""
x = chains if persistent else train
for _ in range(k):
    z = torch.bernoulli(machine.p_z_given_x(x))
    mean, var = machine.p_x_given_z(z)
    x = torch.normal(mean, var)
model_samples = chains = x
"""),
        {"model_samples": "spread too little"},
    ),
    Answer(
        "PCD that restarts at the data",
        samples("""
x = train
for _ in range(k):
    z = torch.bernoulli(machine.p_z_given_x(x))
    mean, var = machine.p_x_given_z(z)
    x = torch.normal(mean, var.sqrt())
model_samples = chains = x
"""),
        {"model_samples": "PCD-1"},
    ),
    Answer(
        "CD-k that takes one sweep whatever k",
        samples("""
x = chains if persistent else train
z = torch.bernoulli(machine.p_z_given_x(x))
mean, var = machine.p_x_given_z(z)
model_samples = chains = torch.normal(mean, var.sqrt())
"""),
        {"model_samples": "CD-3"},
    ),
    Answer(
        "CD with the library's Gibbs step",
        samples("""
x = chains if persistent else train
for _ in range(k):
    x = machine.gibbs_step(x)
model_samples = chains = x
"""),
        {"model_samples": LIBRARY},
    ),
    Answer(
        "run_chains with the library's sampler",
        chains("x[t] = machine.sample_chains(n_chains, 1)[-1]"),
        {"gibbs_chains": LIBRARY},
    ),
    Answer(
        "run_chains keeps the means",
        chains("""
mean, var = machine.p_x_given_z(z)
x[t] = mean
z = torch.bernoulli(machine.p_z_given_x(x[t]))
"""),
        {"gibbs_chains": "spread too little"},
    ),
    Answer(
        "run_chains never updates z",
        chains("""
mean, var = machine.p_x_given_z(z)
x[t] = torch.normal(mean, var.sqrt())
"""),
        {"gibbs_chains": "run_chains"},
    ),
    Answer(
        "run_chains with the variance as the standard deviation",
        chains("""
mean, var = machine.p_x_given_z(z)
x[t] = torch.normal(mean, var)
z = torch.bernoulli(machine.p_z_given_x(x[t]))
"""),
        {"gibbs_chains": "spread too little"},
    ),
    Answer("run_chains fills nothing", chains("pass"), {"gibbs_chains": "is not filled"}),
]

RIGHT = [
    Answer(
        "forward with logaddexp",
        forward(f"return torch.logaddexp(torch.zeros_like(self.d), {HIDDEN_LOGITS}).sum(-1) - {QUADRATIC}"),
    ),
    Answer(
        "forward with log1p(exp(.)) and the square written out",
        forward(f"""
t = {HIDDEN_LOGITS}
square = ((x - self.b) * (x - self.b) / self.sigma2).sum(1) / 2
return torch.log1p(torch.exp(t)).sum(1) - square
"""),
    ),
    Answer("the mean as (W z)^T + b", mean_of("mean = (self.W @ z.T).T + self.b")),
    Answer("p(z | x) as 1 / (1 + exp(-t))", hidden(f"return 1 / (1 + torch.exp(-({HIDDEN_LOGITS})))")),
    Answer(
        "CD that also computes p(z | x_k), as Hinton's guide does",
        samples("""
x = chains if persistent else train
for _ in range(k):
    z = torch.bernoulli(machine.p_z_given_x(x))
    mean, var = machine.p_x_given_z(z)
    x = mean + var.sqrt() * torch.randn_like(mean)
final_hidden = machine.p_z_given_x(x)  # the guide's negative statistics use these probabilities
model_samples = chains = x
"""),
    ),
    Answer(
        "CD with a Gibbs helper of one's own",
        samples("""
def sweep(m, v):
    h = torch.bernoulli(torch.sigmoid(m.d + (v / m.sigma2) @ m.W))
    return m.b + h @ m.W.T + m.sigma2.sqrt() * torch.randn(v.shape, device=v.device)

x = chains if persistent else train
for _ in range(k):
    x = sweep(machine, x)
model_samples = chains = x
"""),
    ),
    Answer(
        "run_chains with copy_ and uniforms",
        chains("""
mean, var = machine.p_x_given_z(z)
x[t].copy_(mean + var.sqrt() * torch.randn_like(mean))
z = (torch.rand_like(z) < machine.p_z_given_x(x[t])).float()
"""),
    ),
]
