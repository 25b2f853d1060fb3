using System.Collections.Concurrent;
using ManagerVerified;

namespace CoyoteConsumer;

/// <summary>A reading the pipeline carries.</summary>
/// <param name="Celsius">The temperature.</param>
public readonly record struct Reading(double Celsius);

/// <summary>
/// The consumer's own concurrent component: a producer stage stores readings and hands their tokens to
/// a consumer stage through a queue; the consumer reads each one and frees it. Once a token is handed
/// over, it belongs to the consumer.
/// </summary>
public sealed class TwoStageHandOff(ConcurrentMemoryManager<Reading> manager, bool logAfterHandOff)
{
    private readonly ConcurrentQueue<MessageToken> _handedOver = new();
    private volatile bool _producerDone;

    /// <summary>The readings the consumer summed.</summary>
    public double Sum { get; private set; }

    /// <summary>Stores <paramref name="count"/> readings and hands each over.</summary>
    public async Task ProduceAsync(int count)
    {
        try
        {
            await ProduceCoreAsync(count);
        }
        finally
        {
            _producerDone = true; // even when it failed: the consumer stops waiting for more
        }
    }

    private async Task ProduceCoreAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            MessageToken token = manager.Store(new Message<Reading>(new MessageHeader { Sequence = (ulong)i }, new Reading(20 + i)));
            _handedOver.Enqueue(token);
            if (logAfterHandOff)
            {
                // The planted consumer bug: a read after the hand-over. The consumer may already have
                // freed the message: the manager refuses with StaleToken (it never shows another message).
                using ReadGuard<Reading> log = manager.Read(token);
                _ = log.Value.Payload.Celsius;
            }

            await Task.Yield();
        }
    }

    /// <summary>Takes <paramref name="count"/> tokens, reads each and frees it.</summary>
    public async Task ConsumeAsync(int count)
    {
        for (int taken = 0; taken < count;)
        {
            if (!_handedOver.TryDequeue(out MessageToken token))
            {
                if (_producerDone && _handedOver.IsEmpty)
                {
                    return; // the producer gave up early: nothing more will come
                }

                await Task.Yield();
                continue;
            }

            using (ReadGuard<Reading> reading = manager.Read(token))
            {
                Sum += reading.Value.Payload.Celsius;
            }

            manager.Free(token);
            taken++;
        }
    }
}
