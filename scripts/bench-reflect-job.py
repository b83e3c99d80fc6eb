#!/usr/bin/env python3
"""Times whole `csep session-reflect --job ID` processes (bundled strategy, no model):
before each run, one turn is appended to the bench session and a Stop queues a job.

usage: scripts/bench-stop-session.py DIR && scripts/bench-reflect-job.py target/release/csep DIR
"""
import json, os, subprocess, sys, time, statistics, glob
b, d = sys.argv[1], sys.argv[2]
env = dict(os.environ, CSEP__REFLECTION__START_WORKER="false", CSEP__POLICY__SETTINGS__MEMORY_STOP_INTERVAL="1", CODEX_HOME=d+"/codex")
payload = open(d+"/stop.json","rb").read(); turn = open(d+"/turn.jsonl","rb").read()
times=[]
for i in range(30):
    open(d+"/rollout.jsonl","ab").write(turn)
    subprocess.run([b,"--home",d+"/state","session-stop"],input=payload,env=env,check=True)
    jobs=sorted(glob.glob(d+"/state/session_reflection/jobs/*.json"))
    job=[j for j in jobs if json.load(open(j))["status"]=="queued"][0]
    jid=os.path.basename(job)[:-5]
    t=time.perf_counter()
    subprocess.run([b,"--home",d+"/state","session-reflect","--job",jid],env=env,check=True,stdout=subprocess.DEVNULL)
    times.append((time.perf_counter()-t)*1e3)
times=sorted(times[3:])
print(f"session-reflect --job (no model): median {statistics.median(times):.1f} ms, p95 {times[int(len(times)*0.95)]:.1f} ms over {len(times)} jobs")
