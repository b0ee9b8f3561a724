#!/bin/sh
# Guest payload: dies of a signal, which the guest init reports as a PANIC.
kill -SEGV $$
