#!/bin/sh
# Guest payload: never ends on its own.
while :; do sleep 1000; done
