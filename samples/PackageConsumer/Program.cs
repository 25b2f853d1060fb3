using ManagerVerified;

var manager = new ConcurrentMemoryManager<int>(capacity: 4);
MessageToken token = manager.Store(new Message<int>(new MessageHeader { Sequence = 1 }, 42));
int payload;
using (ReadGuard<int> guard = manager.Read(token))
{
    payload = guard.Value.Payload;
#if COPY_GUARD
    ReadGuard<int> copy = guard; // MV0001 from the package's analyzer: SampleTests builds this to see it fail
#endif
}

manager.Free(token);
bool stale = !manager.TryRead(token, out _, out MemoryError error) && error == MemoryError.StaleToken;
Console.WriteLine($"payload={payload} stale={stale} available={manager.Available}/{manager.Capacity} assembly={typeof(MessageToken).Assembly.Location}");
return payload == 42 && stale && manager.Available == 4 ? 0 : 1;
