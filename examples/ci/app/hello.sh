#!/bin/sh
echo "hello from $(uname -m): $(cat /etc/built-for)"
