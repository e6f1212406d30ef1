using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Antitheft.Rules;

/// <summary>What the product-removal rule remembers about a product or a person.</summary>
public sealed class StoreTrack : TrackState
{
    /// <summary>Product: the person last seen close to it, so a product that vanishes into a bag still has a carrier.</summary>
    public StoreTrack? NearPerson { get; set; }

    public long NearPersonTicks { get; set; }

    /// <summary>Product: the person it left the shelf with.</summary>
    public StoreTrack? CarriedBy { get; set; }

    /// <summary>Person: products taken from a shelf and not yet paid for; null when none.</summary>
    public List<StoreTrack>? Carried { get; set; }

    /// <summary>Person: when the first carried product left its shelf.</summary>
    public long CarriedSinceTicks { get; set; }

    /// <summary>Person: the box the person had when the first carried product was seen to leave with them.</summary>
    public BoundingBox? CarriedSinceBox { get; set; }

    /// <summary>Person: event time of <see cref="CarriedSinceBox"/>.</summary>
    public long CarriedSinceBoxTicks { get; set; }

    /// <summary>Product: paid for, or its carrier's window ran out; not carried again until it is back on a shelf.</summary>
    public bool Settled { get; set; }

    internal bool Registered { get; set; }
}

/// <summary>A camera of the product-removal rule, with its people kept apart so products search only them.</summary>
public sealed class StoreCamera : CameraTracks<StoreTrack>
{
    public List<StoreTrack> People { get; } = [];
}

/// <summary>
/// A product leaves a shelf zone close to a person, and that person then reaches an exit zone
/// without passing a checkout zone within <see cref="AntitheftSettings.ProductRemovalWindowSeconds"/>.
/// A product leaves its shelf when it is seen off the shelf beside a person, or when it has been
/// out of sight for longer than the exit grace (slipped into a bag beside the person last seen
/// next to it); it leaves at the last time it was seen on the shelf. A product seen back on a
/// shelf is no longer carried.
/// </summary>
public sealed class ProductRemovalRule(AntitheftSettings settings)
    : TrackRule<StoreCamera, StoreTrack>(settings.MinPresenceSeconds, settings.ExitGraceSeconds)
{
    // A hand reaches about half a body width beyond the torso; the product centre must lie within
    // the person's box widened by that much.
    private const double ReachShareOfWidth = 0.5;

    private readonly long _windowTicks = settings.ProductRemovalWindowSeconds * TimeSpan.TicksPerSecond;

    protected override void OnUpdate(StoreCamera camera, StoreTrack track, TrackUpdate update, long ticks, ISignalSink sink)
    {
        if (track.Class == TrackClass.Person)
        {
            if (!track.Registered)
            {
                track.Registered = true;
                camera.People.Add(track);
            }

            if (track.Carried is not null)
            {
                FollowCarrier(camera, track, ticks, sink);
            }
        }
        else if (track.Class == TrackClass.Product)
        {
            FollowProduct(camera, track, ticks, sink);
        }
    }

    // A product that vanished from its shelf (into a bag) leaves with the person last seen beside it.
    protected override void OnZoneChange(StoreCamera camera, StoreTrack track, int zoneIndex, PresenceChange change, long ticks, ISignalSink sink)
    {
        if (track.Class != TrackClass.Product)
        {
            return;
        }

        if ((change & PresenceChange.Confirmed) != 0)
        {
            track.Settled = false;
        }

        if ((change & PresenceChange.Ended) == 0 || track.Settled)
        {
            return;
        }

        var leftTicks = track.Zones[zoneIndex].EndedLastSeenTicks;
        var person = track.NearPerson;
        if (track.CarriedBy is not null || person is null || track.NearPersonTicks < leftTicks - GraceTicks || !camera.Tracks.ContainsKey(person.TrackId))
        {
            return;
        }

        Attach(person, track, leftTicks);
    }

    protected override void OnEvicted(StoreCamera camera, StoreTrack track)
    {
        if (track.Class == TrackClass.Person)
        {
            camera.People.Remove(track);
            Settle(track);
        }
    }

    // A carrier's open state reaches back to the moment the first product left its shelf.
    protected override long OpenSince(StoreCamera camera, StoreTrack track) =>
        track.Carried is not null ? Math.Min(track.FirstSeenTicks, track.CarriedSinceTicks) : track.FirstSeenTicks;

    private void FollowProduct(StoreCamera camera, StoreTrack product, long ticks, ISignalSink sink)
    {
        var zones = camera.Context.Zones;
        var onShelf = false;
        for (var i = 0; i < zones.Length; i++)
        {
            var zone = zones[i];
            if (zone.Kind != ZoneKind.Shelf || !zone.Runs(RuleCatalog.ProductRemoval))
            {
                continue;
            }

            var inside = zone.Contains(product.X, product.Y);
            onShelf |= inside;
            ObserveZone(camera, product, i, inside, MinPresenceTicks, ticks, sink);
        }

        if (onShelf && product.CarriedBy is { } carrier)
        {
            Return(carrier, product);
        }

        var near = Nearest(camera.People, product, ticks);
        if (near is null)
        {
            return;
        }

        product.NearPerson = near;
        product.NearPersonTicks = ticks;

        // Seen off the shelf beside someone: carried from now on, so a carrier who heads straight
        // for the exit is not faster than the exit grace.
        if (!onShelf && product.CarriedBy is null && !product.Settled && LastOnShelf(product) is { } lastOnShelfTicks)
        {
            Attach(near, product, lastOnShelfTicks);
        }
    }

    private static long? LastOnShelf(StoreTrack product)
    {
        long? last = null;
        foreach (ref readonly var presence in product.Zones.AsSpan())
        {
            if (presence.IsConfirmed && (last is null || presence.LastSeenTicks > last))
            {
                last = presence.LastSeenTicks;
            }
        }

        return last;
    }

    private static void Attach(StoreTrack person, StoreTrack product, long leftShelfTicks)
    {
        if (person.Carried is null)
        {
            person.Carried = [];
            person.CarriedSinceTicks = leftShelfTicks;
            person.CarriedSinceBox = person.NewestBox;
            person.CarriedSinceBoxTicks = person.LastSeenTicks;
        }

        if (!person.Carried.Contains(product))
        {
            person.Carried.Add(product);
        }

        product.CarriedBy = person;
    }

    private void FollowCarrier(StoreCamera camera, StoreTrack person, long ticks, ISignalSink sink)
    {
        if (ticks - person.CarriedSinceTicks > _windowTicks)
        {
            Settle(person);
            return;
        }

        var zones = camera.Context.Zones;
        for (var i = 0; i < zones.Length; i++)
        {
            var zone = zones[i];
            if (zone.Kind == ZoneKind.Checkout && zone.Runs(RuleCatalog.ProductRemoval) && zone.Contains(person.X, person.Y))
            {
                Settle(person);
                return;
            }
        }

        for (var i = 0; i < zones.Length; i++)
        {
            var zone = zones[i];
            if (zone.Kind == ZoneKind.Exit && zone.Runs(RuleCatalog.ProductRemoval) && zone.Contains(person.X, person.Y))
            {
                sink.Emit(Removal(camera, person, zone, ticks));
                Settle(person);
                return;
            }
        }
    }

    private StoreTrack? Nearest(List<StoreTrack> people, StoreTrack product, long ticks)
    {
        var box = product.Box;
        var centreX = box.X + (box.Width / 2);
        var centreY = box.Y + (box.Height / 2);
        StoreTrack? nearest = null;
        var best = double.MaxValue;
        for (var i = 0; i < people.Count; i++)
        {
            var person = people[i];
            if (ticks - person.LastSeenTicks > GraceTicks)
            {
                continue;
            }

            var body = person.Box;
            var reach = body.Width * ReachShareOfWidth;
            if (centreX < body.X - reach || centreX > body.X + body.Width + reach || centreY < body.Y || centreY > body.Y + body.Height)
            {
                continue;
            }

            var dx = centreX - (body.X + (body.Width / 2));
            var dy = centreY - (body.Y + (body.Height / 2));
            var distance = (dx * dx) + (dy * dy);
            if (distance < best)
            {
                best = distance;
                nearest = person;
            }
        }

        return nearest;
    }

    private static void Return(StoreTrack carrier, StoreTrack product)
    {
        product.CarriedBy = null;
        if (carrier.Carried is { } carried)
        {
            carried.Remove(product);
            if (carried.Count == 0)
            {
                carrier.Carried = null;
            }
        }
    }

    private static void Settle(StoreTrack person)
    {
        if (person.Carried is { } carried)
        {
            foreach (var product in carried)
            {
                product.CarriedBy = null;
                product.Settled = true;
            }
        }

        person.Carried = null;
    }

    private static Signal Removal(StoreCamera camera, StoreTrack person, ZoneShape exit, long ticks)
    {
        var carried = person.Carried!;
        var trackIds = new List<string>(carried.Count + 1) { person.TrackId };
        var boxes = new List<TrackEvidence>(carried.Count + 1)
        {
            new(person.TrackId, person.ObjectClass, person.NewestBox, person.LastSeenTicks, person.CarriedSinceBox, person.CarriedSinceBoxTicks),
        };
        foreach (var product in carried)
        {
            trackIds.Add(product.TrackId);
            // Where the product was last seen: on the shelf or in the carrier's hand.
            boxes.Add(product.Evidence());
        }

        var seconds = Signals.Seconds(ticks - person.CarriedSinceTicks);
        return Signals.Create(
            camera.Context,
            camera.SiteId,
            RuleCatalog.ProductRemoval,
            Severity.High,
            person.Confidence * 0.9,
            person.TrackId,
            exit.ZoneId,
            trackIds,
            person.CarriedSinceTicks,
            ticks,
            new Dictionary<string, double>
            {
                ["productCount"] = carried.Count,
                ["secondsShelfToExit"] = seconds,
            },
            $"Person carried {carried.Count} product(s) from a shelf to {exit.Zone.Name} in {seconds:0} s without passing a checkout.",
            boxes);
    }
}
