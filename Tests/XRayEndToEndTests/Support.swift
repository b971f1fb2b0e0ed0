// The helpers (the built binary, temporary folders, fixtures, loopback HTTP and UDP) live in XRayTestSupport;
// re-exported so that every file of this target sees them without an import of its own.
@_exported import XRayTestSupport
