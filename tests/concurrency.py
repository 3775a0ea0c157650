"""The same work run from several threads at once, for the tests of races."""

import threading

from django.db import connection


def at_once(work, arguments) -> list:
    """`work(argument)` for every argument, each in its own thread with its own database
    connection, all released together by a barrier. Returns the results in the order of the
    arguments; fails, once every thread has finished, if any of them raised."""
    arguments = list(arguments)
    barrier = threading.Barrier(len(arguments))
    results: list = [None] * len(arguments)
    errors: list[Exception] = []

    def run(index, argument):
        try:
            barrier.wait(timeout=30)
            results[index] = work(argument)
        except Exception as error:  # reported below, with the others
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, argument))
        for index, argument in enumerate(arguments)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
    return results
