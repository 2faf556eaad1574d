package refresher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// Attributes of a state item besides TableKey.
const (
	attrVersion   = "version"
	attrState     = "state"
	attrConfigA   = "configA"
	attrConfigB   = "configB"
	attrUpdatedAt = "updatedAt"
)

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
	blob, ok := out.Item[attrState].(*types.AttributeValueMemberS)
	if !ok {
		return Item{}, fmt.Errorf("read refresh state of %s from table %s: item has no string attribute %q", endpoint, s.Table, attrState)
	}
	if err := json.Unmarshal([]byte(blob.Value), &it.State); err != nil {
		return Item{}, fmt.Errorf("read refresh state of %s from table %s: decode %q: %w", endpoint, s.Table, attrState, err)
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

// Save writes st if the stored version is still st.Version (or the item is still missing when
// st.Version is 0) and returns st at its new version. A lost race returns ErrConflict.
func (s *Store) Save(ctx context.Context, st refresh.State, p refresh.Policy, now time.Time) (refresh.State, error) {
	next := st
	next.Version = st.Version + 1
	blob, err := json.Marshal(next)
	if err != nil {
		return st, fmt.Errorf("write refresh state of %s: %w", st.Endpoint, err)
	}
	in := &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			TableKey:      &types.AttributeValueMemberS{Value: st.Endpoint},
			attrVersion:   &types.AttributeValueMemberN{Value: strconv.FormatInt(next.Version, 10)},
			attrState:     &types.AttributeValueMemberS{Value: string(blob)},
			attrUpdatedAt: &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339Nano)},
		},
	}
	if p.ConfigA != "" && p.ConfigB != "" {
		in.Item[attrConfigA] = &types.AttributeValueMemberS{Value: p.ConfigA}
		in.Item[attrConfigB] = &types.AttributeValueMemberS{Value: p.ConfigB}
	}
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

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
