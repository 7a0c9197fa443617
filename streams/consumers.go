package streams

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// maxConsumers is the number of enhanced fan-out consumers a stream may have.
const maxConsumers = 20

// RegisterConsumer registers an enhanced fan-out consumer. It is CREATING
// when returned and ACTIVE shortly after.
func (c *Core) RegisterConsumer(ctx context.Context, streamName, consumerName string) (Consumer, error) {
	if !c.validName(consumerName) {
		return Consumer{}, errf(ErrValidation, "Consumer name %q is not 1 to %d characters of [a-zA-Z0-9_.-] (other than \".\" and \"..\").", consumerName, c.cfg.MaxNameLength)
	}
	var out Consumer
	err := c.update(ctx, streamName, func(m *streamMeta) error {
		if m.Status != StatusActive && m.Status != StatusUpdating {
			return c.notActive(m)
		}
		for _, cm := range m.Consumers {
			if cm.Name == consumerName {
				return errf(ErrInUse, "Consumer %s under stream %s already exists for account %s.", consumerName, streamName, c.cfg.AccountID)
			}
		}
		if len(m.Consumers) >= maxConsumers {
			return errf(ErrLimitExceeded, "Stream %s under account %s has reached the limit of %d registered consumers.", streamName, c.cfg.AccountID, maxConsumers)
		}
		now := c.cfg.Now().UTC()
		cm := consumerMeta{Name: consumerName, CreatedAt: now.Truncate(time.Second), Status: "CREATING", ActiveAt: now.Add(c.cfg.TransitionDelay)}
		m.Consumers = append(m.Consumers, cm)
		out = c.toConsumer(m, cm)
		out.Status = "CREATING" // as AWS answers a registration, however short TransitionDelay is
		return nil
	})
	if err != nil {
		return Consumer{}, err
	}
	return out, nil
}

// status is a consumer's status now: a CREATING consumer is ACTIVE from
// its ActiveAt on, whichever nodes are alive.
func (c *Core) status(cm consumerMeta) string {
	if cm.Status == "CREATING" && !cm.ActiveAt.IsZero() && !c.cfg.Now().Before(cm.ActiveAt) {
		return "ACTIVE"
	}
	return cm.Status
}

// DescribeConsumer finds a consumer by ARN, or by stream and consumer name.
func (c *Core) DescribeConsumer(ctx context.Context, streamName, consumerName, consumerARN string) (Consumer, error) {
	m, cm, err := c.findConsumer(ctx, streamName, consumerName, consumerARN)
	if err != nil {
		return Consumer{}, err
	}
	return c.toConsumer(m, cm), nil
}

// DeregisterConsumer removes a consumer found as DescribeConsumer finds it.
// Its subscriptions end, on every node, within about a second.
func (c *Core) DeregisterConsumer(ctx context.Context, streamName, consumerName, consumerARN string) error {
	m, cm, err := c.findConsumer(ctx, streamName, consumerName, consumerARN)
	if err != nil {
		return err
	}
	err = c.update(ctx, m.Name, func(m *streamMeta) error {
		for i := range m.Consumers {
			if m.Consumers[i].Name == cm.Name {
				m.Consumers = append(m.Consumers[:i], m.Consumers[i+1:]...)
				return nil
			}
		}
		return c.consumerNotFound(m.Name, cm.Name)
	})
	return err // its subscriptions, on every node, end as their watch sees it gone
}

// findConsumer resolves a consumer ARN, or a stream name and consumer name.
func (c *Core) findConsumer(ctx context.Context, streamName, consumerName, consumerARN string) (*streamMeta, consumerMeta, error) {
	var created int64 = -1
	if consumerARN != "" {
		sarn, rest, ok := strings.Cut(consumerARN, "/consumer/")
		name, ts, ok2 := strings.Cut(rest, ":")
		sname, ok3 := c.StreamNameFromARN(sarn)
		n, err := strconv.ParseInt(ts, 10, 64)
		if !ok || !ok2 || !ok3 || err != nil {
			return nil, consumerMeta{}, errf(ErrInvalidArgument, "Invalid consumer ARN %s.", consumerARN)
		}
		streamName, consumerName, created = sname, name, n
	}
	cc, err := c.current(ctx, streamName)
	if err != nil {
		return nil, consumerMeta{}, err
	}
	find := func(cc *cached) (consumerMeta, bool) {
		for _, cm := range cc.meta.Consumers {
			if cm.Name == consumerName && (created < 0 || cm.CreatedAt.Unix() == created) {
				return cm, true
			}
		}
		return consumerMeta{}, false
	}
	if cm, ok := find(cc); ok {
		return cc.meta, cm, nil
	}
	// This node's cache follows the metadata's watch and may not have a
	// consumer registered through another node a moment ago: a miss is
	// read again from the bucket before it is final.
	if cc, err = c.refresh(ctx, streamName); err != nil {
		return nil, consumerMeta{}, err
	}
	if cc == nil {
		return nil, consumerMeta{}, notFound(c, streamName)
	}
	if cm, ok := find(cc); ok {
		return cc.meta, cm, nil
	}
	return nil, consumerMeta{}, c.consumerNotFound(streamName, consumerName)
}

func (c *Core) consumerNotFound(streamName, consumerName string) error {
	return errf(ErrNotFound, "Consumer %s under stream %s not found for account %s.", consumerName, streamName, c.cfg.AccountID)
}

func (c *Core) toConsumer(m *streamMeta, cm consumerMeta) Consumer {
	return Consumer{
		Name:      cm.Name,
		ARN:       c.consumerARN(m, cm),
		Status:    c.status(cm),
		CreatedAt: cm.CreatedAt,
		StreamARN: c.streamARN(m),
	}
}
