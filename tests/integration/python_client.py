#!/usr/bin/python3
"""Submits and lists experiments from Python, with stubs generated from the project's .proto files
by protoc and grpc_python_plugin (Debian's protobuf-compiler-grpc) and Debian's python3-grpcio: proof
that the API is usable from other languages."""
import argparse
import shutil
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coordinator", required=True)
    ap.add_argument("--proto-dir", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    shutil.rmtree(args.out, ignore_errors=True)
    subprocess.run(["mkdir", "-p", args.out], check=True)
    protos = [f"ecgbench/v1/{p}.proto" for p in ("types", "coordinator", "worker")]
    subprocess.run(["protoc", f"-I{args.proto_dir}", f"--python_out={args.out}", f"--grpc_out={args.out}",
                    f"--plugin=protoc-gen-grpc={shutil.which('grpc_python_plugin')}", *protos], check=True)
    sys.path.insert(0, args.out)

    import grpc
    from ecgbench.v1 import coordinator_pb2, coordinator_pb2_grpc, types_pb2

    channel = grpc.insecure_channel(args.coordinator)
    grpc.channel_ready_future(channel).result(timeout=10)
    stub = coordinator_pb2_grpc.CoordinatorStub(channel)
    spec = "name: from-python\nprobe: {ranks: 1}\n"
    resp = stub.SubmitExperiment(coordinator_pb2.SubmitExperimentRequest(
        spec_yaml=spec, spec_name="python.yaml", request_id="py-1"))
    exp_id = resp.experiment.id
    print(f"submitted {exp_id} created={resp.created}")
    again = stub.SubmitExperiment(coordinator_pb2.SubmitExperimentRequest(spec_yaml=spec, request_id="py-1"))
    assert again.experiment.id == exp_id and not again.created, "request id must deduplicate"

    try:
        stub.SubmitExperiment(coordinator_pb2.SubmitExperimentRequest(spec_yaml="name: x\nprobe: {rank: 1}\n",
                                                                     spec_name="typo.yaml"))
        raise AssertionError("an invalid spec was accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
        assert "probe.rank" in e.details() and "typo.yaml:2" in e.details(), e.details()
        print("invalid spec rejected:", e.details().splitlines()[0])

    listed = stub.ListExperiments(coordinator_pb2.ListExperimentsRequest(name_contains="from-python"))
    print(f"listed {len(listed.experiments)} experiment(s)")
    assert len(listed.experiments) == 1 and listed.experiments[0].id == exp_id

    deadline = time.time() + 30
    while time.time() < deadline:
        got = stub.GetExperiment(coordinator_pb2.GetExperimentRequest(id=exp_id)).experiment
        if got.state in (types_pb2.STATE_SUCCEEDED, types_pb2.STATE_FAILED, types_pb2.STATE_CANCELLED):
            break
        time.sleep(0.1)
    print("final state", types_pb2.State.Name(got.state))
    assert got.state == types_pb2.STATE_SUCCEEDED
    return 0


if __name__ == "__main__":
    sys.exit(main())
