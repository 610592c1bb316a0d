"""The embedded backend: runs a SageMaker pipeline definition on this machine (no AWS, no docker),
with an ``s3://`` artifact store on disk, a SQLite model registry and a local endpoint, so the
definition production submits is the one exercised locally."""
