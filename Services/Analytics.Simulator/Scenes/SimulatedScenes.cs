using System.Globalization;
using Analytics.Scenes;
using Analytics.Schemas.Contracts;

namespace Analytics.Simulator.Scenes;

/// <summary>
/// The simulator's scripted scenes. Each call builds one camera's scene starting at a given time,
/// so the real-time player (start = now) and the tests (a fixed start) render the same frames.
/// </summary>
/// <remarks>
/// Labels hold for the rules' default settings. The store scene is long enough (about 150 s) for
/// its loiterer to pass the default 120 s <c>Antitheft:LoiteringSeconds</c>, so no service needs
/// shortened thresholds to show every behaviour.
/// </remarks>
public static class SimulatedScenes
{
    public const string Store = "store";
    public const string Classroom = "classroom";
    public const string Warehouse = "warehouse";

    /// <summary>The store without its loiterer: one theft and nothing else that signals, so exactly one incident.</summary>
    public const string Theft = "theft";

    /// <summary>Classroom windows are this long, as the default <c>Education:WindowSeconds</c>.</summary>
    public const int ClassroomWindowSeconds = 60;

    /// <summary>Site id of a scene's cameras.</summary>
    public static string SiteOf(string scene) => $"sim-{scene}";

    /// <summary>Camera id of a scene's camera number <paramref name="camera"/> (from 1).</summary>
    public static string CameraOf(string scene, int camera) => $"{scene}-cam-{camera.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Builds camera <paramref name="camera"/> of <paramref name="scene"/>.</summary>
    /// <param name="scene">store, classroom or warehouse.</param>
    /// <param name="orgId">Organization of the zones.</param>
    /// <param name="camera">Camera number, from 1.</param>
    /// <param name="run">Play-through number; track ids and subject keys carry it so a looped scene never continues an old track.</param>
    /// <param name="start">Event time of the first frame.</param>
    /// <param name="objects">Objects (or subjects) per camera; scenes add walkers up to it.</param>
    /// <param name="fps">Frames per second.</param>
    public static SceneScript Build(string scene, string orgId, int camera, int run, DateTimeOffset start, int objects = 6, double fps = 5)
    {
        // A stable seed (HashCode is randomized per process), so a scene plays the same noise in
        // every process and a test of it is repeatable.
        var script = new SceneScript(orgId, SiteOf(scene), CameraOf(scene, camera), start, seed: (camera * 7919) + run, fps)
        {
            // A tracker misses an object now and then for a single frame.
            DropoutRate = 0.01,
        };
        var tag = $"c{camera.ToString(CultureInfo.InvariantCulture)}r{run.ToString(CultureInfo.InvariantCulture)}";
        switch (scene.ToLowerInvariant())
        {
            case Store:
                BuildStore(script, tag, objects, loiterer: true);
                break;
            case Theft:
                BuildStore(script, tag, objects, loiterer: false);
                break;
            case Warehouse:
                BuildWarehouse(script, tag, objects);
                break;
            case Classroom:
                BuildClassroom(script, tag, objects);
                break;
            default:
                throw new ArgumentException($"Unknown scene '{scene}'", nameof(scene));
        }

        return script;
    }

    // A shop floor: products on shelf A, a second shelf B at the back, the checkout and the exit.
    private static void BuildStore(SceneScript scene, string tag, int objects, bool loiterer)
    {
        var camera = scene.CameraId;
        scene.Zone($"{camera}-shelf-a", ZoneKind.Shelf, 0.1, 0.5, 0.4, 0.9);
        scene.Zone($"{camera}-shelf-b", ZoneKind.Shelf, 0.1, 0.05, 0.4, 0.4);
        scene.Zone($"{camera}-checkout", ZoneKind.Checkout, 0.45, 0.85, 0.65, 0.98);
        scene.Zone($"{camera}-exit", ZoneKind.Exit, 0.8, 0.6, 1.0, 1.0);

        // Loiterer: enters shelf B at about 1 s and stays there 140 s, lost by the tracker twice.
        if (loiterer)
        {
            var loitererId = $"loiterer-{tag}";
            scene.Person(loitererId, 0.05, 0.3).Walk(0.2, 0.3, 2).Stay(50).Hide(0.6).Stay(60).Hide(1).Stay(28).Walk(0.05, 0.3, 2);
            scene.Expect(RuleCatalog.Loitering.Name, loitererId, startSecond: 1);
        }

        // Passer: crosses shelf A in about 4 s.
        scene.Person($"passer-{tag}", 0.05, 0.6, atSecond: 10).Walk(0.6, 0.6, 7);

        // Shopper: takes a product from shelf A at 35 s, walks out through the exit without paying.
        var shopperId = $"shopper-{tag}";
        var shopper = scene.Person(shopperId, 0.05, 0.95, atSecond: 20).Walk(0.27, 0.8, 5).Stay(10).Walk(0.9, 0.8, 6).Stay(3);
        scene.Product($"product-{tag}", 0.25, 0.6).Stay(35).Carried(shopper, 0.03, -0.12, 38).Hide(10);
        scene.Expect(RuleCatalog.ProductRemoval.Name, shopperId, startSecond: 35 + (6 * 0.10 / 0.63));

        // Browsers walk the free aisle between the shelves and the exit, in no zone.
        for (var i = 0; i < objects - (loiterer ? 4 : 3); i++)
        {
            var x = 0.5 + ((i % 5) * 0.05);
            scene.Person($"browser-{i}-{tag}", x, 0.3, atSecond: 5 + (i * 12 % 100))
                .Walk(x, 0.6, 3).Stay(4).Hide(0.4).Walk(x, 0.3, 3).Stay(3).Walk(x, 0.6, 3);
        }
    }

    // A plant floor: a work area where helmets are required and a walkway beside it.
    private static void BuildWarehouse(SceneScript scene, string tag, int objects)
    {
        var camera = scene.CameraId;
        scene.Zone($"{camera}-work-area", ZoneKind.WorkArea, 0.1, 0.4, 0.5, 0.95);
        scene.Zone($"{camera}-dock", ZoneKind.Exit, 0.6, 0.4, 0.95, 0.95);

        // Without a helmet in the work area for 22 s; the detector misses the flag for a second.
        var bareHead = $"bare-head-{tag}";
        scene.Person(bareHead, 0.2, 0.8).With("no_helmet").Stay(10).With().Stay(1).With("no_helmet").Stay(11).With().Walk(0.05, 0.8, 5);
        scene.Expect(RuleCatalog.MissingPpe.Name, bareHead, startSecond: 0);

        // Falls at 9 s and stays down 10 s, then gets up and walks off.
        var faller = $"faller-{tag}";
        scene.Person(faller, 0.3, 0.6, atSecond: 5).Walk(0.35, 0.6, 4).Lie(10).Walk(0.4, 0.6, 3).Hide(0.6).Walk(0.45, 0.65, 3);
        scene.Expect(RuleCatalog.Fall.Name, faller, startSecond: 9);

        // Runs diagonally across the floor in 2 s from 25 s.
        var runner = $"runner-{tag}";
        scene.Person(runner, 0.02, 0.98, atSecond: 25).Walk(0.98, 0.3, 2).Stay(2);
        scene.Expect(RuleCatalog.Running.Name, runner, startSecond: 25.5);

        // Workers with their protection on walk the gangway behind the zones, so however many
        // there are, they never crowd a zone.
        for (var i = 0; i < objects - 3; i++)
        {
            var x = 0.55 + ((i % 8) * 0.05);
            scene.Person($"worker-{i}-{tag}", x, 0.12, atSecond: i * 3 % 20)
                .Walk(x, 0.35, 3).Stay(3).Hide(0.4).Walk(x, 0.12, 3).Stay(2).Walk(x, 0.35, 3);
        }
    }

    // A lesson: engaged, then a whole aggregation window of low engagement, then engaged again.
    // Windows are aligned to the Unix epoch, so the dull period is aligned to them too.
    private static void BuildClassroom(SceneScript scene, string tag, int objects)
    {
        var room = $"{scene.CameraId}-room";
        scene.Zone(room, ZoneKind.Classroom, 0, 0, 1, 1);

        const long window = ClassroomWindowSeconds * TimeSpan.TicksPerSecond;
        var earliest = scene.Start.UtcTicks + (30 * TimeSpan.TicksPerSecond);
        var dullFrom = (earliest + window - 1) / window * window;
        var engagedSeconds = Math.Floor((double)(dullFrom - scene.Start.UtcTicks) / TimeSpan.TicksPerSecond);
        var subjects = Math.Max(5, objects);
        for (var i = 0; i < subjects; i++)
        {
            var subject = scene.Subject($"slot-{i}-{tag}", room);
            subject.Feel(engagedSeconds, 0.75 - (i % 5 * 0.02));
            if (i == 0)
            {
                // Looks away from the camera for a few seconds.
                subject.Feel(20, 0.15, valence: -0.1).Hide(4).Feel(ClassroomWindowSeconds - 24, 0.15, valence: -0.1);
            }
            else
            {
                subject.Feel(ClassroomWindowSeconds, 0.12 + (i % 5 * 0.02), valence: -0.1);
            }

            subject.Feel(ClassroomWindowSeconds, 0.7, valence: 0.4);
        }

        scene.Expect(RuleCatalog.LowEngagement.Name, room, startSecond: (double)(dullFrom - scene.Start.UtcTicks) / TimeSpan.TicksPerSecond);
    }
}
