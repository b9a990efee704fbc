"""Private machinery under the public measures: free to change between releases.

Integer coding of string ids, counting and alignment on those codes, the
month encoding, the engine shim that lets one metric run on pandas or Dask,
Dask schedulers and Arrow's memory pool.  Nothing here is part of the public
API; the measures in :mod:`peerscope.participation`,
:mod:`peerscope.reciprocity` and the rest are.
"""
