# The peer of the sbom and scan benchmarks: what an exporting scanner (syft, trivy, grype with a daemon image) does
# before it can catalog anything: `docker save` to a file, the layers extracted as far as the dpkg database, then
# `dpkg-query -W` over it.
export_inventory() {
  local image=$1 layer
  rm -rf peer; mkdir -p peer/x peer/root
  dk save -o peer/image.tar "$image"
  tar -xf peer/image.tar -C peer/x
  for layer in peer/x/*/layer.tar; do
    tar -xf "$layer" -C peer/root ./var/lib/dpkg 2>/dev/null || tar -xf "$layer" -C peer/root var/lib/dpkg
  done
  dpkg-query --admindir=peer/root/var/lib/dpkg -W
}
