#!/usr/bin/env python3
"""Writes an OCI image layout of gzip layers for the registry benchmarks.

  make-layout.py synthetic DIR [LAYERS] [MIB_PER_LAYER] [COMPRESSIBLE_SOURCE]
      LAYERS layers (default 20) of MIB_PER_LAYER MiB of file data each (default 50): half seeded random bytes,
      half slices of COMPRESSIBLE_SOURCE (e.g. the Debian rootfs tar: real binaries and text, gzip ~3:1).
  make-layout.py tar DIR TARFILE
      one layer: the given tar, gzipped.

Each layer is built as a tar stream, hashed (diffID) and gzipped (level 6, like docker push) in one pass,
layers in parallel on all cores. The layout's index names the image "1".
"""
import hashlib
import io
import json
import os
import random
import sys
import tarfile
import zlib
from multiprocessing import Pool

MIB = 1 << 20


class LayerWriter:
    """A file object for tarfile: hashes the plain tar, gzips it into the blob file and hashes that."""

    def __init__(self, path):
        self.out = open(path, "wb")
        self.diff = hashlib.sha256()
        self.blob = hashlib.sha256()
        self.size = 0
        self.zip = zlib.compressobj(6, zlib.DEFLATED, 31)

    def write(self, data):
        self.diff.update(data)
        self._emit(self.zip.compress(data))
        return len(data)

    def _emit(self, data):
        if data:
            self.blob.update(data)
            self.size += len(data)
            self.out.write(data)

    def close(self):
        self._emit(self.zip.flush())
        self.out.close()


def add_file(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1700000000
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def synthetic_layer(args):
    directory, index, mib, source = args
    tmp = os.path.join(directory, f"layer-{index}.tmp")
    writer = LayerWriter(tmp)
    rng = random.Random(index)
    half = mib * MIB // 2
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        # Random half: 5 files.
        for i in range(5):
            add_file(tar, f"layer{index}/random/r{i}.bin", rng.randbytes(half // 5))
        # Compressible half: 512 KiB files cut from the source at a per-layer offset.
        piece = 512 << 10
        src_size = os.path.getsize(source)
        with open(source, "rb") as src:
            for i in range(half // piece):
                offset = (index * 7919 * piece + i * piece) % max(src_size - piece, 1)
                src.seek(offset)
                add_file(tar, f"layer{index}/text/t{i}.dat", src.read(piece))
    writer.close()
    return finish(directory, tmp, writer)


def tar_layer(args):
    directory, path = args
    tmp = os.path.join(directory, "layer-0.tmp")
    writer = LayerWriter(tmp)
    with open(path, "rb") as f:
        while True:
            block = f.read(4 * MIB)
            if not block:
                break
            writer.write(block)
    writer.close()
    return finish(directory, tmp, writer)


def finish(directory, tmp, writer):
    digest = writer.blob.hexdigest()
    os.rename(tmp, os.path.join(directory, "blobs", "sha256", digest))
    return {"digest": "sha256:" + digest, "size": writer.size, "diffID": "sha256:" + writer.diff.hexdigest()}


def put_json(directory, obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(directory, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main():
    mode, directory = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(directory, "blobs", "sha256"), exist_ok=True)
    if mode == "synthetic":
        count = int(sys.argv[3]) if len(sys.argv) > 3 else 20
        mib = int(sys.argv[4]) if len(sys.argv) > 4 else 50
        source = sys.argv[5] if len(sys.argv) > 5 else "/tmp/strata-peers/debian-rootfs.tar"
        with Pool(os.cpu_count()) as pool:
            layers = pool.map(synthetic_layer, [(directory, i, mib, source) for i in range(count)])
    else:
        layers = [tar_layer((directory, sys.argv[3]))]
    config = {
        "created": "2023-11-14T22:13:20Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [l["diffID"] for l in layers]},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": f"bench layer {i}"} for i in range(len(layers))],
    }
    config_desc = put_json(directory, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_desc},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": l["digest"], "size": l["size"]}
                   for l in layers],
    }
    manifest_desc = put_json(directory, manifest)
    index = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest_desc,
                       "annotations": {"org.opencontainers.image.ref.name": "1"}}],
    }
    with open(os.path.join(directory, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(directory, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    total = sum(l["size"] for l in layers)
    print(f"{len(layers)} layers, {total / 1e6:.0f} MB compressed", file=sys.stderr)


if __name__ == "__main__":
    main()
