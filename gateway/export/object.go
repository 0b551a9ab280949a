package export

import (
	"fmt"
	"strconv"
	"strings"
)

// Object names are the spec's: ts-aperture-export-<unix>.cbor.zstd.
const (
	objectPrefix = "ts-aperture-export-"
	objectSuffix = ".cbor.zstd"
)

// ObjectName is the name of the object made at unix time t.
func ObjectName(t int64) string {
	return objectPrefix + strconv.FormatInt(t, 10) + objectSuffix
}

// ObjectKey is where an object named name goes in a bucket under prefix
// (a folder, without slashes at either end; "" is the bucket's root).
func ObjectKey(prefix, name string) string {
	if prefix = strings.Trim(prefix, "/"); prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// ParseObjectName returns the unix time in an object's name (its key's
// last segment), for readers that list a bucket in time order.
func ParseObjectName(key string) (int64, error) {
	name := key[strings.LastIndex(key, "/")+1:]
	ts, ok := strings.CutPrefix(name, objectPrefix)
	if ok {
		ts, ok = strings.CutSuffix(ts, objectSuffix)
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("%q is not an export object name (%s<unix>%s)", key, objectPrefix, objectSuffix)
	}
	return t, nil
}
