using System.Diagnostics;
using ManagerVerified.Core;

namespace ManagerVerified;

/// <summary>
/// An opaque handle to a stored message: the slot index and the generation the slot had when the
/// message was stored. A token stops working the moment its message is freed; <c>default</c> is never valid.
/// </summary>
/// <remarks>
/// Tokens are 8 bytes, copyable and comparable, so they can be passed between threads (for example
/// through a channel) instead of the messages themselves.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public readonly struct MessageToken : IEquatable<MessageToken>
{
    // Layout (64 bits):
    //   [63 ............................ 24][23 ................. 0]
    //    generation (40 bits, never 0)        slot index (24 bits)
    // The generation field has the same width and position as in SlotWord, so a token and the
    // slot word it names compare by their top 40 bits.
    internal const int IndexBits = 24;
    internal const int IndexMask = (1 << IndexBits) - 1;

    private readonly ulong _value;

    internal MessageToken(int index, ulong generation)
    {
        Debug.Assert((uint)index <= IndexMask);
        Debug.Assert(generation != 0 && generation <= SlotWord.MaxGeneration);
        _value = (generation << IndexBits) | (uint)index;
    }

    private MessageToken(ulong value) => _value = value;

    /// <summary>The slot index.</summary>
    internal int Index => (int)(_value & IndexMask);

    /// <summary>The generation of the slot when the message was stored (0 only for an invalid token).</summary>
    internal ulong Generation => _value >> IndexBits;

    /// <summary>The token's 64-bit representation, for logging or for passing through untyped channels.</summary>
    public ulong RawValue => _value;

    /// <summary>Rebuilds a token from <see cref="RawValue"/>. A value that was never a token is rejected by the manager with <see cref="MemoryError.BadToken"/>.</summary>
    /// <param name="rawValue">A value obtained from <see cref="RawValue"/>.</param>
    /// <returns>The token.</returns>
    public static MessageToken FromRawValue(ulong rawValue) => new(rawValue);

    /// <inheritdoc />
    public bool Equals(MessageToken other) => _value == other._value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MessageToken other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"#{Index}@{Generation}";

    /// <summary>Compares two tokens.</summary>
    public static bool operator ==(MessageToken left, MessageToken right) => left.Equals(right);

    /// <summary>Compares two tokens.</summary>
    public static bool operator !=(MessageToken left, MessageToken right) => !left.Equals(right);
}
