package refresher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// Attributes of a state item besides TableKey.
const (
	attrVersion   = "version"
	attrConfigA   = "configA"
	attrConfigB   = "configB"
	attrUpdatedAt = "updatedAt"
)

// AttrState is the state item's attribute holding the refresh.State as JSON.
const AttrState = "state"

// ErrConflict means another invocation wrote the state item since it was read; the caller
// reads it again and redoes its pass.
var ErrConflict = errors.New("state item changed concurrently")

// ErrTableNotFound means the state table does not exist.
var ErrTableNotFound = errors.New("state table not found")

// Store keeps one refresh.State per endpoint in a DynamoDB item: the state as a JSON blob, a
// version number for optimistic concurrency, and the A/B config names so `smcd` can find them.
type Store struct {
	DB    DynamoDBAPI
	Table string
}

// Item is a stored state with the config names saved beside it.
type Item struct {
	State            refresh.State
	ConfigA, ConfigB string
	UpdatedAt        time.Time
	// Exists is false when the endpoint has no item yet.
	Exists bool
}

// Load reads the endpoint's item; a missing item is a zero state at version 0.
func (s *Store) Load(ctx context.Context, endpoint string) (Item, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.Table),
		Key:            map[string]types.AttributeValue{TableKey: &types.AttributeValueMemberS{Value: endpoint}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			err = fmt.Errorf("%w: %w", ErrTableNotFound, err)
		}
		return Item{}, fmt.Errorf("read refresh state of %s from table %s: %w", endpoint, s.Table, err)
	}
	if len(out.Item) == 0 {
		return Item{State: refresh.State{Endpoint: endpoint}}, nil
	}
	it := Item{Exists: true}
	blob, ok := out.Item[AttrState].(*types.AttributeValueMemberS)
	if !ok {
		return Item{}, fmt.Errorf("read refresh state of %s from table %s: item has no string attribute %q", endpoint, s.Table, AttrState)
	}
	if err := json.Unmarshal([]byte(blob.Value), &it.State); err != nil {
		return Item{}, fmt.Errorf("read refresh state of %s from table %s: decode %q: %w", endpoint, s.Table, AttrState, err)
	}
	v, ok := out.Item[attrVersion].(*types.AttributeValueMemberN)
	if !ok {
		return Item{}, fmt.Errorf("read refresh state of %s from table %s: item has no number attribute %q", endpoint, s.Table, attrVersion)
	}
	if it.State.Version, err = strconv.ParseInt(v.Value, 10, 64); err != nil {
		return Item{}, fmt.Errorf("read refresh state of %s from table %s: version %q: %w", endpoint, s.Table, v.Value, err)
	}
	it.State.Endpoint = endpoint
	it.ConfigA = stringAttr(out.Item, attrConfigA)
	it.ConfigB = stringAttr(out.Item, attrConfigB)
	if t, err := time.Parse(time.RFC3339Nano, stringAttr(out.Item, attrUpdatedAt)); err == nil {
		it.UpdatedAt = t
	}
	return it, nil
}

// SaveChanged writes next unless it equals read (the state as loaded; refresh.State.Equal), and
// returns the state at its stored version. It is how every pass writes: a pass that changes
// nothing costs no write.
func (s *Store) SaveChanged(ctx context.Context, read, next refresh.State, p refresh.Policy, now time.Time) (refresh.State, error) {
	if read.Equal(next) && read.Version == next.Version {
		return next, nil
	}
	return s.Save(ctx, next, p, now)
}

// Save writes st if the stored version is still st.Version (or the item is still missing when
// st.Version is 0) and returns st at its new version. A lost race returns ErrConflict.
func (s *Store) Save(ctx context.Context, st refresh.State, p refresh.Policy, now time.Time) (refresh.State, error) {
	next := st
	next.Version = st.Version + 1
	item, err := StateItem(next, p, now)
	if err != nil {
		return st, err
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}
	if st.Version == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#v)")
		in.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
	} else {
		in.ConditionExpression = aws.String("#v = :v")
		in.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(st.Version, 10)}}
	}
	if _, err := s.DB.PutItem(ctx, in); err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return st, ErrConflict
		}
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			err = fmt.Errorf("%w: %w", ErrTableNotFound, err)
		}
		return st, fmt.Errorf("write refresh state of %s to table %s: %w", st.Endpoint, s.Table, err)
	}
	return next, nil
}

// StateItem is the DynamoDB item Save writes for st (at st.Version).
func StateItem(st refresh.State, p refresh.Policy, now time.Time) (map[string]types.AttributeValue, error) {
	var blob bytes.Buffer
	enc := json.NewEncoder(&blob)
	enc.SetEscapeHTML(false) // keys with < > & stay one byte each
	if err := enc.Encode(st); err != nil {
		return nil, fmt.Errorf("write refresh state of %s: %w", st.Endpoint, err)
	}
	item := map[string]types.AttributeValue{
		TableKey:      &types.AttributeValueMemberS{Value: st.Endpoint},
		attrVersion:   &types.AttributeValueMemberN{Value: strconv.FormatInt(st.Version, 10)},
		AttrState:     &types.AttributeValueMemberS{Value: strings.TrimSuffix(blob.String(), "\n")},
		attrUpdatedAt: &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339Nano)},
	}
	if p.ConfigA != "" && p.ConfigB != "" {
		item[attrConfigA] = &types.AttributeValueMemberS{Value: p.ConfigA}
		item[attrConfigB] = &types.AttributeValueMemberS{Value: p.ConfigB}
	}
	return item, nil
}

// MaxStateItemBytes bounds the size of a state item (ItemSize) whatever the number and length
// of the changed keys: refresh.Recent has a fixed size and the strings kept for people are
// clipped (refresh.MaxKeyInState, refresh.MaxReasonInState). DynamoDB's own limit is 400 KB.
const MaxStateItemBytes = 8 * 1024

// ItemSize is the size DynamoDB counts for item, by its documented rules for the types a state
// item uses: each attribute name's UTF-8 length plus its value's — a string's UTF-8 length, a
// number's about one byte per two significant digits plus one, a binary's length.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			digits := strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(v.Value), "0")
			n += (len(digits)+1)/2 + 1
		case *types.AttributeValueMemberB:
			n += len(v.Value)
		case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
			n++
		}
	}
	return n
}

// WriteUnits is what one standard write of an item of size bytes costs: one write capacity
// unit per started kilobyte.
func WriteUnits(size int) int { return max(1, (size+1023)/1024) }

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
