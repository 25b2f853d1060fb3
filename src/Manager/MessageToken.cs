using System.Diagnostics;
using ManagerVerified.Core;

namespace ManagerVerified;

/// <summary>
/// An opaque handle to a stored message: the manager that issued it, the slot index and the
/// generation the slot had when the message was stored. A token stops working the moment its message
/// is freed, works on no other manager, and <c>default</c> is never valid.
/// </summary>
/// <remarks>
/// Tokens are 16 bytes, copyable and comparable, so they can be passed between threads (for example
/// through a channel) instead of the messages themselves.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public readonly struct MessageToken : IEquatable<MessageToken>
{
    // Layout (128 bits, two words):
    //   low word:  [63 ........................ 26][25 24][23 ................. 0]
    //               generation low (38 bits)        0  0   slot index (24 bits)
    //   high word: [63 ........................ 32][31 ......................... 0]
    //               manager id (32 bits, never 0)   generation epoch (32 bits)
    // The generation low part has the same width and position as in SlotWord, and the epoch is the
    // slot's epoch word: the whole generation (70 bits, never 0) is epoch : low.
    internal const int IndexBits = 24;
    internal const int IndexMask = (1 << IndexBits) - 1;

    private readonly ulong _low;
    private readonly ulong _high;

    internal MessageToken(int index, UInt128 generation, uint managerId)
    {
        Debug.Assert((uint)index <= IndexMask);
        Debug.Assert(generation != 0 && generation <= SlotWord.MaxGeneration);
        _low = (SlotWord.LowOf(generation) << SlotWord.GenerationShift) | (uint)index;
        _high = ((ulong)managerId << 32) | SlotWord.EpochOf(generation);
    }

    internal MessageToken(int index, ulong lowGeneration, uint epoch, uint managerId)
    {
        Debug.Assert((uint)index <= IndexMask && lowGeneration <= SlotWord.MaxLowGeneration);
        _low = (lowGeneration << SlotWord.GenerationShift) | (uint)index;
        _high = ((ulong)managerId << 32) | epoch;
    }

    private MessageToken(ulong low, ulong high)
    {
        _low = low;
        _high = high;
    }

    /// <summary>The slot index, read with the two bits above it (always 0 in an issued token), so that a
    /// made-up raw value with them set is out of range (BadToken) rather than an alias of a real token.</summary>
    internal int Index => (int)(_low & ((1UL << SlotWord.GenerationShift) - 1));

    /// <summary>The generation modulo 2^38, as the slot word holds it.</summary>
    internal ulong LowGeneration => _low >> SlotWord.GenerationShift;

    /// <summary>The generation's epoch, as the slot's epoch word holds it.</summary>
    internal uint Epoch => (uint)_high;

    /// <summary>The whole generation of the slot when the message was stored (0 only for an invalid token).</summary>
    internal UInt128 Generation => SlotWord.Join(Epoch, LowGeneration);

    /// <summary>The issuing manager's identity (0 only for an invalid token).</summary>
    internal uint ManagerId => (uint)(_high >> 32);

    /// <summary>The token's 128-bit representation, for logging or for passing through untyped channels.</summary>
    public UInt128 RawValue => new(_high, _low);

    /// <summary>Rebuilds a token from <see cref="RawValue"/>. A value that was never a token is rejected by
    /// the manager with <see cref="MemoryError.BadToken"/> or <see cref="MemoryError.ForeignToken"/>.</summary>
    /// <param name="rawValue">A value obtained from <see cref="RawValue"/>.</param>
    /// <returns>The token.</returns>
    public static MessageToken FromRawValue(UInt128 rawValue) => new((ulong)rawValue, (ulong)(rawValue >> 64));

    /// <inheritdoc />
    public bool Equals(MessageToken other) => _low == other._low && _high == other._high;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MessageToken other && Equals(other);

    /// <inheritdoc />
    /// <remarks>Not <see cref="HashCode"/>, whose seed changes from process to process: the same token hashes
    /// the same in every run (a recorded schedule replays over the same dictionary layouts).</remarks>
    public override int GetHashCode() => (_low ^ (_high * 0x9E3779B97F4A7C15UL)).GetHashCode();

    /// <inheritdoc />
    /// <remarks>The manager's identity is left out: it differs from run to run, the slot and generation do not.</remarks>
    public override string ToString() => $"#{Index}@{Generation}";

    /// <summary>Compares two tokens.</summary>
    public static bool operator ==(MessageToken left, MessageToken right) => left.Equals(right);

    /// <summary>Compares two tokens.</summary>
    public static bool operator !=(MessageToken left, MessageToken right) => !left.Equals(right);
}
