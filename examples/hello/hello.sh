#!/bin/sh
cat "$GREETING_FILE"
echo "($(cat /srv/size.txt) bytes, running as $(id -un) in $(hostname))"
