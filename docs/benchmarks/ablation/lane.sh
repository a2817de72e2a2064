#!/usr/bin/env bash
# lane.sh: pop jobs from queue.txt (under a lock) until it is empty.
cd /work/abl
while true; do
  line=$(flock queue.lock bash -c 'l=$(head -n1 queue.txt); [ -n "$l" ] && sed -i 1d queue.txt; echo "$l"')
  [ -z "$line" ] && break
  echo "$(date +%T) start $line" >> progress.log
  ./job.sh $line
done
