"""Mistakes `mypy --strict` must report (3 errors): the stage checks that it does."""
import offerfit
offerfit.place([], [], strategy="spreadd")
offerfit.place([], [{"id": 1}])
x: bool = offerfit.resource_math("add", "cpus:1", "cpus:2")
