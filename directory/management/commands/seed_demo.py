import time

from django.core.management.base import BaseCommand, CommandError

from directory.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Replace the demo providers with N fictional ones at real ZIP centroids. "
        "The same --seed gives the same providers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--providers", type=int, default=300, metavar="N")
        parser.add_argument("--seed", type=int, default=1, metavar="S")

    def handle(self, *, providers, seed, verbosity, **options):
        if providers < 0:
            raise CommandError("--providers must be 0 or more.")
        started = time.monotonic()

        def progress(done):
            if verbosity > 1:
                self.stdout.write(f"  {done} providers…")

        try:
            seed_demo(providers=providers, seed=seed, progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Seeded {providers} demo providers (seed {seed}) in {time.monotonic() - started:.1f}s."
        )
