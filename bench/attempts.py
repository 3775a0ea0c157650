"""Count the quiz attempts recorded for the one-time forms in a body file (bench.tails):
`python -m bench.attempts FILE` prints JSON. Run with the server's settings (its SECRET_KEY)."""

import json
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs


def main(argv: list[str] | None = None) -> int:
    path = Path((argv or sys.argv[1:])[0])
    import django

    django.setup()
    from django.core import signing

    from progress.models import QuizAttempt
    from progress.services import ATTEMPT_TOKEN_SALT

    # A form's token is signed; its attempt records the nonce inside.
    nonces = {
        signing.loads(parse_qs(line)["attempt_token"][0], salt=ATTEMPT_TOKEN_SALT)["nonce"]
        for line in path.read_text().splitlines()
        if line
    }
    recorded = Counter(QuizAttempt.objects.filter(token__in=nonces).values_list("token", flat=True))
    print(
        json.dumps(
            {
                "tokens": len(nonces),
                "tokens_with_an_attempt": len(recorded),
                "most_attempts_for_one_token": max(recorded.values(), default=0),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
