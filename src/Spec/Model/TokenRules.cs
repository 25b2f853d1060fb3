namespace ManagerVerified.Spec.Model;

/// <summary>
/// The specification's one statement of what a token gets, shared by the sequential model
/// (<see cref="SequentialModel{TPayload}"/>) and the linearizability specification
/// (<see cref="Linearizability.SpecState"/>). Written from the error table, not from the slot word.
/// </summary>
public static class TokenRules
{
    /// <summary>
    /// None when the slot holds the live message of the token's generation; <paramref name="staleError"/>
    /// when the slot issued that generation and has freed it (or retired with it); BadToken otherwise
    /// (default, index out of range, or a generation the slot never issued).
    /// </summary>
    /// <param name="token">The token.</param>
    /// <param name="capacity">The manager's capacity.</param>
    /// <param name="firstGeneration">The generation every slot issues first.</param>
    /// <param name="generation">The slot's current generation (live, or next to issue).</param>
    /// <param name="live">Whether the slot holds a live message.</param>
    /// <param name="retired">Whether the slot retired with its current generation.</param>
    /// <param name="staleError">StaleToken for borrows, NotAllocated for Free.</param>
    public static MemoryError Classify(MessageToken token, int capacity, ulong firstGeneration, ulong generation, bool live, bool retired, MemoryError staleError)
    {
        if (token.Generation == 0 || token.Index >= capacity)
        {
            return MemoryError.BadToken;
        }

        if (live && token.Generation == generation)
        {
            return MemoryError.None;
        }

        bool issued = token.Generation >= firstGeneration
            && (token.Generation < generation || (token.Generation == generation && retired));
        return issued ? staleError : MemoryError.BadToken;
    }
}
