using System.Diagnostics;
using Analytics.Scenes;
using Analytics.Schemas.Contracts;
using Analytics.Simulator.Scenes;
using Microsoft.Extensions.Options;

namespace Analytics.Simulator;

/// <summary>
/// Plays every configured scene on every camera in real time: each tick renders the frames whose
/// event time has come (event time = scene start + frame time, the start being the wall clock when
/// the play-through began) and posts them, with a heartbeat per camera after its frames, as an
/// edge device should: "everything up to now is sent", so a quiet camera's behaviours complete.
/// Looped scenes restart, with new track ids, when they end; scenes that do not loop keep sending
/// heartbeats for <see cref="QuietAfterEnd"/>, so their last behaviours (a classroom's last window)
/// complete before the simulator stops.
/// </summary>
public sealed partial class ScenePlayer(
    IOptions<SimulatorSettings> options,
    IngestClient ingest,
    LayoutWriter layoutWriter,
    SimulatorMetrics metrics,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ScenePlayer> logger) : BackgroundService
{
    // Keeps one request well under ingest's default 5000 observations.
    private const int MaxPerRequest = 2000;
    private static readonly TimeSpan _progressEvery = TimeSpan.FromSeconds(5);

    /// <summary>How long heartbeats go on after every scene ended: past a classroom window and every exit grace.</summary>
    public static readonly TimeSpan QuietAfterEnd = TimeSpan.FromSeconds(SimulatedScenes.ClassroomWindowSeconds + 10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var scenes = settings.SceneList();
        var started = time.GetUtcNow();

        var layout = Plays(settings, scenes, run: 0, started).ToList();
        await layoutWriter.WriteAsync(settings.OrgId, [.. layout.Select(p => p.Script)], settings.EnableEducation, stoppingToken);
        LogStarting(logger, string.Join(", ", scenes), settings.Cameras, settings.ObjectsPerCamera, settings.FramesPerSecond,
            string.Join("; ", layout.SelectMany(p => p.Script.Labels).Select(l => $"{l.Kind}:{l.Subject}")));

        var playing = layout;
        var batch = new List<Observation>();
        var clock = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        long lastSent = 0;
        DateTimeOffset? allFinishedAt = null;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(settings.BatchMilliseconds), time);
        do
        {
            var now = time.GetUtcNow();
            for (var i = 0; i < playing.Count; i++)
            {
                var play = playing[i];
                play.RenderUntil(now, batch);
                if (play.Finished && settings.Loop)
                {
                    LogLooped(logger, play.Scene, play.Script.CameraId, play.Run + 1);
                    playing[i] = play = Play(settings, play.Scene, play.Camera, play.Run + 1, now);
                    play.RenderUntil(now, batch);
                }
            }

            // Each camera's frames up to now are in this batch (or were sent before it).
            foreach (var play in playing)
            {
                batch.Add(new CameraHeartbeat
                {
                    SchemaVersion = EventTypes.CurrentVersion.CameraHeartbeat,
                    SiteId = play.Script.SiteId,
                    CameraId = play.Script.CameraId,
                    OccurredAt = now,
                });
            }

            try
            {
                await SendAsync(batch, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                LogStoppedWithUnsent(logger, batch.Count);
                throw;
            }

            batch.Clear();

            if (clock.Elapsed - lastProgress >= _progressEvery)
            {
                var sent = metrics.ObservationsSent;
                var rate = (sent - lastSent) / (clock.Elapsed - lastProgress).TotalSeconds;
                LogProgress(logger, sent, rate, metrics.BatchesSent, metrics.BatchesRefused, metrics.BatchesRetried);
                (lastProgress, lastSent) = (clock.Elapsed, sent);
            }

            if (settings.DurationSeconds > 0 && now - started >= TimeSpan.FromSeconds(settings.DurationSeconds))
            {
                break;
            }

            if (playing.TrueForAll(p => p.Finished))
            {
                allFinishedAt ??= now;
                if (now - allFinishedAt >= QuietAfterEnd)
                {
                    break;
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));

        LogFinished(logger, metrics.ObservationsSent, metrics.BatchesSent, metrics.BatchesRefused, metrics.ObservationsRefused, metrics.BatchesRetried);
        lifetime.StopApplication();
    }

    private async Task SendAsync(List<Observation> batch, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < batch.Count; offset += MaxPerRequest)
        {
            await ingest.SendAsync(batch.GetRange(offset, Math.Min(MaxPerRequest, batch.Count - offset)), cancellationToken);
        }
    }

    private static IEnumerable<Playing> Plays(SimulatorSettings settings, IReadOnlyList<string> scenes, int run, DateTimeOffset start)
    {
        foreach (var scene in scenes)
        {
            for (var camera = 1; camera <= settings.Cameras; camera++)
            {
                yield return Play(settings, scene, camera, run, start);
            }
        }
    }

    private static Playing Play(SimulatorSettings settings, string scene, int camera, int run, DateTimeOffset start) =>
        new(scene, camera, run, SimulatedScenes.Build(scene, settings.OrgId, camera, run, start, settings.ObjectsPerCamera, settings.FramesPerSecond));

    /// <summary>One camera's play-through of a scene.</summary>
    private sealed class Playing(string scene, int camera, int run, SceneScript script)
    {
        private readonly int _frames = script.FrameCount;
        private int _next;

        public string Scene { get; } = scene;

        public int Camera { get; } = camera;

        public int Run { get; } = run;

        public SceneScript Script { get; } = script;

        public bool Finished => _next >= _frames;

        public void RenderUntil(DateTimeOffset now, List<Observation> into)
        {
            while (_next < _frames && Script.At(_next / Script.Fps) <= now)
            {
                Script.RenderFrame(_next++, into);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Playing scenes {Scenes} on {Cameras} cameras each, {Objects} objects per camera at {Fps} fps; ground truth of the first play-through: {Labels}")]
    private static partial void LogStarting(ILogger logger, string scenes, int cameras, int objects, int fps, string labels);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped while sending; up to {Count} observations of the last tick were not committed")]
    private static partial void LogStoppedWithUnsent(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scene {Scene} on {CameraId} restarts as play-through {Run}")]
    private static partial void LogLooped(ILogger logger, string scene, string cameraId, int run);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent {ObservationsSent} observations ({ObservationsPerSecond:F0}/s), {BatchesSent} batches, {BatchesRefused} refused, {BatchesRetried} retried")]
    private static partial void LogProgress(ILogger logger, long observationsSent, double observationsPerSecond, long batchesSent, long batchesRefused, long batchesRetried);

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulation finished: {ObservationsSent} observations in {BatchesSent} batches; {BatchesRefused} batches ({ObservationsRefused} observations) refused, {BatchesRetried} retries")]
    private static partial void LogFinished(ILogger logger, long observationsSent, long batchesSent, long batchesRefused, long observationsRefused, long batchesRetried);
}
