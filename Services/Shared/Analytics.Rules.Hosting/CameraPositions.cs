using System.Text.Json;
using System.Text.Json.Nodes;
using Analytics.EventLog;

namespace Analytics.Rules.Hosting;

/// <summary>
/// For each camera with open rule state, where in the log its state began: marks of the log
/// position of the camera's fed entries, at most one per second of event time, so a restart knows
/// where to start re-reading that camera.
/// </summary>
/// <remarks>
/// Marks are positions, not event times, because a camera's event time is not monotonic in the
/// log: observations within the allowed lateness come out of order, and a backlog after an idle
/// close goes back in time. A position is exact: every entry of the camera from it on is fed again.
/// </remarks>
internal sealed class CameraPositions
{
    private readonly Dictionary<(string OrgId, string CameraId), List<(DateTimeOffset OccurredAt, LogPosition Position)>> _marks = [];

    /// <summary>
    /// An entry of the camera at <paramref name="occurredAt"/> was fed at <paramref name="position"/>.
    /// A mark is kept when it is the camera's first since its marks were cleared, or a second past
    /// the last mark: so any entry left unmarked is less than a second newer than the mark before
    /// it, and the last mark at or before an open state's start lies before the entry that opened it.
    /// </summary>
    public void Seen((string OrgId, string CameraId) camera, LogPosition position, DateTimeOffset occurredAt)
    {
        if (!_marks.TryGetValue(camera, out var marks))
        {
            _marks[camera] = marks = [];
        }
        // One mark per second of event time keeps this small at any frame rate.
        if (marks.Count == 0 || occurredAt - marks[^1].OccurredAt >= TimeSpan.FromSeconds(1))
        {
            marks.Add((occurredAt, position));
        }
    }

    /// <summary>The camera was closed: nothing it sent before can be needed again.</summary>
    public void Reset((string OrgId, string CameraId) camera)
    {
        if (_marks.TryGetValue(camera, out var marks))
        {
            marks.Clear();
        }
    }

    /// <summary>Drops marks no open state needs any more.</summary>
    public void Forget(IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> open)
    {
        foreach (var (camera, marks) in _marks)
        {
            if (!open.TryGetValue(camera, out var since))
            {
                marks.Clear();
                continue;
            }
            // Keep the last mark at or before `since`: replay starts there.
            var keepFrom = marks.FindLastIndex(m => m.OccurredAt <= since);
            if (keepFrom > 0)
            {
                marks.RemoveRange(0, keepFrom);
            }
        }
    }

    /// <summary>
    /// Where each camera with open state is re-read from after a restart (its first kept mark), and
    /// where the log is re-read from for all of them: just before the earliest of those, or
    /// <paramref name="checkpoint"/> when nothing is open.
    /// </summary>
    public (Dictionary<(string OrgId, string CameraId), LogPosition> Cameras, LogPosition From) ReplayFrom(
        IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> open, LogPosition checkpoint)
    {
        var cameras = new Dictionary<(string OrgId, string CameraId), LogPosition>();
        var from = checkpoint;
        foreach (var camera in open.Keys)
        {
            if (_marks.TryGetValue(camera, out var marks) && marks.Count > 0 && marks[0].Position <= checkpoint)
            {
                cameras[camera] = marks[0].Position;
                if (marks[0].Position < from)
                {
                    from = marks[0].Position;
                }
            }
        }
        // Reading is exclusive, so step back one within the same transaction.
        return (cameras, from == checkpoint ? checkpoint : new LogPosition(from.TxId, from.Seq - 1));
    }
}

/// <summary>The per-camera replay positions stored with a rule consumer's checkpoint (its replay state).</summary>
internal static class ReplayState
{
    /// <summary>A JSON array of <c>{"orgId", "cameraId", "txId", "seq"}</c>: ids may hold any character, so no joined key.</summary>
    public static string Write(Dictionary<(string OrgId, string CameraId), LogPosition> cameras)
    {
        var array = new JsonArray();
        foreach (var ((orgId, cameraId), position) in cameras)
        {
            array.Add(new JsonObject { ["orgId"] = orgId, ["cameraId"] = cameraId, ["txId"] = position.TxId, ["seq"] = position.Seq });
        }
        return array.ToJsonString();
    }

    /// <summary>
    /// Reads what <see cref="Write"/> wrote. A checkpoint written before per-camera positions
    /// (an object of <c>"org/camera": event time</c>) replays each of its cameras from the shared
    /// <paramref name="replayFrom"/>, which lies at or before each camera's own start.
    /// </summary>
    public static Dictionary<(string OrgId, string CameraId), LogPosition> Read(string json, LogPosition replayFrom)
    {
        var cameras = new Dictionary<(string OrgId, string CameraId), LogPosition>();
        switch (JsonNode.Parse(json))
        {
            case JsonArray array:
                foreach (var item in array)
                {
                    cameras[((string)item!["orgId"]!, (string)item["cameraId"]!)] = new LogPosition((ulong)item["txId"]!, (long)item["seq"]!);
                }
                break;
            case JsonObject legacy:
                foreach (var (key, _) in legacy)
                {
                    var slash = key.IndexOf('/', StringComparison.Ordinal);
                    if (slash > 0)
                    {
                        cameras[(key[..slash], key[(slash + 1)..])] = replayFrom;
                    }
                }
                break;
            default:
                throw new JsonException($"A rule consumer's replay state must be a JSON array, was {json}");
        }
        return cameras;
    }
}
