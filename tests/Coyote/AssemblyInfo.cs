// Coyote owns the scheduling inside each test; tests must not also run in parallel with each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
