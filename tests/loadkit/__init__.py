"""A reusable load and fault harness: a deployment of real processes on loopback (gunicorn app
servers, `microcred worker`s, a dev LMS server, PostgreSQL, Redis) and simulated students.

- `stack.Stack` / `stack.StackConfig`: start and stop the deployment (`lms.seed_lms` places the
  sample course's modules on the dev LMS course page first).
- `services`: fresh databases, throwaway PostgreSQL clusters and Redis servers.
- `students.Student` / `students.Router`: browser stand-ins taking the student's path, and the
  load balancer they talk through; `quiz`: reading the module page's quiz form.
- `crowd.run_once` / `crowd.run_for`: many students at once; `recorder`: per-step figures;
  `observe`: what a test checks (scores graded and delivered, outbox, clean failures);
  `rss`: peak memory per process; `report`: the benchmarks' printed figures.
"""
