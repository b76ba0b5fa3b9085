#!/usr/bin/env bash
# Installs the Trino server the Trino lane runs (npm run test:trino) into .trino/, from Maven Central through Maven:
# the server core plus the two connectors the pipeline needs (Iceberg for the curated tables, Hive for the raw
# symlink tables), and s3proxy, the S3 endpoint the lane puts in front of the lake folder. Pinned; Trino 476 needs
# Java 24 or newer (the Temurin 25 JDK); s3proxy runs on Java 17.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${TRINO_VERSION:-476}"
S3PROXY="2.6.0"
DEST=".trino/trino-server-$VERSION"
if [ -x "$DEST/bin/launcher" ] && [ -d "$DEST/plugin/iceberg" ] && [ -d "$DEST/plugin/hive" ] &&
  [ -s ".trino/dl/s3proxy-$S3PROXY-jar-with-dependencies.jar" ]; then
  echo "Trino $VERSION is installed in $DEST"
  exit 0
fi
mkdir -p .trino/dl
fetch() { # groupId:artifactId:version:type[:classifier] file-it-lands-as
  if [ -s ".trino/dl/$2" ]; then return 0; fi
  for attempt in 1 2 3; do
    if mvn -q -B dependency:copy -Dartifact="$1" -DoutputDirectory=.trino/dl -Dmdep.overWriteReleases=true; then return 0; fi
    echo "mvn could not fetch $1 (attempt $attempt); trying again in 10 s" >&2
    sleep 10
  done
  echo "could not fetch $1 from Maven Central with mvn (see above)" >&2
  exit 1
}
fetch "io.trino:trino-server-core:$VERSION:tar.gz" "trino-server-core-$VERSION.tar.gz"
fetch "io.trino:trino-iceberg:$VERSION:zip" "trino-iceberg-$VERSION.zip"
fetch "io.trino:trino-hive:$VERSION:zip" "trino-hive-$VERSION.zip"
fetch "org.gaul:s3proxy:$S3PROXY:jar:jar-with-dependencies" "s3proxy-$S3PROXY-jar-with-dependencies.jar"
if [ -x "$DEST/bin/launcher" ] && [ -d "$DEST/plugin/iceberg" ] && [ -d "$DEST/plugin/hive" ]; then
  echo "Trino $VERSION is installed in $DEST"
  exit 0
fi
rm -rf "$DEST.tmp" && mkdir -p "$DEST.tmp"
tar -xzf ".trino/dl/trino-server-core-$VERSION.tar.gz" -C "$DEST.tmp" --strip-components=1
for plugin in iceberg hive; do
  unzip -q ".trino/dl/trino-$plugin-$VERSION.zip" -d "$DEST.tmp/plugin"
  mv "$DEST.tmp/plugin/trino-$plugin-$VERSION" "$DEST.tmp/plugin/$plugin"
done
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
echo "Trino $VERSION installed in $DEST"
